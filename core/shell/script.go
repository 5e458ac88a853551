package shell

import (
	"fmt"
	"sort"
	"strings"
)

// Quote quotes s for POSIX shells with single quotes, so that
// `export K=`+Quote(v) sets K to exactly v.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// markerFD is the shell's private copy of the exec stream's stdout: markers
// go there so that a command redirecting the shell's stdout (exec >file)
// cannot swallow them. Commands run with it closed.
const markerFD = "19"

// initScript is the first input of the session's bash: merge stderr into
// stdout, keep a private copy of stdout for markers, apply env and workdir,
// then print the ready marker with the shell's pid and process group.
func initScript(env map[string]string, workDir string, nonceA, nonceB string) string {
	var b strings.Builder
	b.WriteString("exec 2>&1 " + markerFD + ">&1\n__eh_x=$-; set +x\n")
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s=%s\n", k, Quote(env[k]))
	}
	if workDir != "" {
		fmt.Fprintf(&b, "cd -- %s || exit 97\n", Quote(workDir))
	}
	// Field 5 of /proc/PID/stat is the process group; fields are counted
	// after the ")" that ends the command name, which may hold spaces.
	b.WriteString(`__eh_pg=0; if read -r __eh_st < /proc/$$/stat; then __eh_st=${__eh_st##*) }; set -- $__eh_st; __eh_pg=$3; set --; fi` + "\n")
	fmt.Fprintf(&b, "printf '%%s%%s %%s %%s\\n' %s %s \"$$\" \"$__eh_pg\" >&%s; unset __eh_st __eh_pg\n",
		Quote(nonceA), Quote(nonceB), markerFD)
	return b.String()
}

// commandScript runs cmd in the session's shell and prints the end marker
// (nonceA+nonceB, a space, the exit status) to the marker fd.
//
// The command runs through `. /proc/self/fd/18` (source, so `cd`, `export`,
// `declare` and functions persist at global scope, as typed at a terminal),
// whose text is `eval "$__eh_c"`, with stdin from /dev/null so that it cannot
// eat the session's input, and without the marker fd.
//
// Interrupts: SIGINT reaches the shell too (see killScript), and its trap
// `return`s out of the sourced command, loops included. When the signal
// lands inside a shell function, that return only leaves the function, so
// the trap also sets a DEBUG trap (inherited by functions under set -T) that
// returns from every frame still inside the command before its next simple
// command runs. Both are undone after the command. The INT trap is set again
// before every command, as bash leaves a trap that returned marked running.
//
// The user's xtrace setting is switched off around the framing and restored
// for the command, so `set -x` traces the user's commands only.
//
// The nonce is split in two arguments, so neither the command text (echoed
// by `set -v`) nor a trace line ever holds the marker.
func commandScript(cmd, nonceA, nonceB string) string {
	const (
		unwind = `trap '[[ -n ${BASH_SOURCE[0]} ]] && return 130' DEBUG`
		intr   = `[[ -n $__eh_in ]] && { __eh_unw=1; set -T; ` + unwind + `; return 130; }`
	)
	return "__eh_c=" + Quote(cmd) + "\n" +
		"trap " + Quote(intr) + " INT; __eh_in=1; " +
		"if [[ $__eh_x == *x* ]]; then __eh_xon='set -x; '; else __eh_xon=; fi; " +
		`. /proc/self/fd/18 18<<<'exec 18<&-; eval "$__eh_xon$__eh_c"' </dev/null ` + markerFD + ">&-; " +
		"{ __eh_s=$? __eh_x=$-; set +x; } 2>/dev/null; " +
		"if [[ -n $__eh_unw ]]; then trap - DEBUG; set +T; __eh_unw=; __eh_s=130; fi; " +
		"__eh_in=; unset __eh_c __eh_xon; " +
		"printf '%s%s %d\\n' " + Quote(nonceA) + " " + Quote(nonceB) + ` "$__eh_s" >&` + markerFD + "\n"
}

// killScript signals a session's running command, run by a second exec as
// `bash -c killScript envhost-kill SIG SHELLPID`.
//
// SIGINT: when the shell leads its process group (engines start each exec in
// a new session), SIGINT goes to the whole group at once: the command's
// processes and the shell, whose trap ends the command. SIGKILL: the shell
// gets SIGINT first (so its trap is pending when the command's processes
// die), then every other process of the group is stopped and killed
// (stopped first, so none runs on between the kills). A shell that does not
// lead its group gets the same done to its descendants instead.
const killScript = `sig=$1 sh=$2
read -r st < /proc/$sh/stat 2>/dev/null || exit 0
st=${st##*) }; set -- $st; pg=$3
if [ "$pg" = "$sh" ] && [ "$sig" = INT ]; then kill -INT -- "-$sh" 2>/dev/null; exit 0; fi
declare -A parent group
for d in /proc/[0-9]*; do
  read -r st < "$d/stat" 2>/dev/null || continue
  st=${st##*) }; set -- $st
  parent[${d#/proc/}]=$2; group[${d#/proc/}]=$3
done
targets=()
if [ "$pg" = "$sh" ]; then
  for p in "${!group[@]}"; do [ "${group[$p]}" = "$sh" ] && [ "$p" != "$sh" ] && targets+=("$p"); done
else
  for p in "${!parent[@]}"; do
    q=$p
    while [ -n "$q" ] && [ "$q" != 0 ] && [ "$q" != 1 ]; do
      q=${parent[$q]}
      if [ "$q" = "$sh" ]; then targets+=("$p"); break; fi
    done
  done
fi
kill -INT "$sh" 2>/dev/null
[ ${#targets[@]} -eq 0 ] && exit 0
if [ "$sig" = KILL ]; then kill -STOP "${targets[@]}" 2>/dev/null; fi
kill "-$sig" "${targets[@]}" 2>/dev/null
exit 0
`
