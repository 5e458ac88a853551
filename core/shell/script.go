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
// stdout, keep a private copy of stdout for markers, define the framing
// helpers (see commandScript), apply env and workdir, then print the ready
// marker with the shell's pid and process group.
func initScript(env map[string]string, workDir string, nonceA, nonceB string) string {
	var b strings.Builder
	b.WriteString("exec 2>&1 " + markerFD + ">&1\n")
	b.WriteString(helpers)
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

// helpers are the framing's shell functions, variables and alias.
//
// A command is sent as the line "__eh_E", then a 48-byte header (the
// command's length in bytes as 16 decimal digits, then the two 16-hex-digit
// halves of its nonce), then the command. The alias __eh_E expands to the
// framing (see commandScript); bash reads the line it parses one byte at a
// time from a pipe, which is slow, so that line is kept short and the rest
// is read in bulk by `read -N` (in the C locale, so it counts bytes).
//
// __eh_r reads the header and the command, arms the SIGINT trap and notes
// whether the user had xtrace on. __eh_e prints the end marker (the nonce's
// halves joined, a space, the command's status) to the marker fd, and undoes
// what an interrupt set up. The nonce is kept split while the command runs.
//
// The SIGINT trap returns out of the sourced command, loops included. A
// signal landing inside a shell function only leaves that function, so the
// trap also sets a DEBUG trap (inherited by functions under set -T) that
// returns from every frame still inside the command before its next simple
// command runs (but not in the __eh_ helpers). The INT trap is set again
// before every command, as bash leaves a trap that returned marked running.
//
// When the shell exits during a command (`exit 3`, set -e), its EXIT trap
// __eh_q ends the command's output with the marker and "<status> exit", to
// the marker fd or, when the command has it closed, to stdout: the session
// then knows its shell is gone even if a background job holds the stream.
//
// Should the user remove the alias or turn alias expansion off, the line
// runs the function __eh_E instead: the command then runs inside a function
// (so `declare` makes locals) once, and the alias is restored.
const helpers = `__eh_x=
__eh_src='exec 18<&-; eval "$__eh_xon$__eh_c"'
__eh_trap='[[ -n $__eh_in ]] && { __eh_unw=1; set -T; trap '\''[[ -n ${BASH_SOURCE[0]} && ${FUNCNAME[0]} != __eh_* ]] && return 130'\'' DEBUG; return 130; }'
__eh_al='__eh_r;. /proc/self/fd/18 18<<<$__eh_src </dev/null ` + markerFD + `>&-;{ __eh_e;} 2>/dev/null'
__eh_r() { IFS= LC_ALL=C read -r -N 48 __eh_h; __eh_n=${__eh_h:16:16}-${__eh_h:32:16}; IFS= LC_ALL=C read -r -N $((10#${__eh_h:0:16})) __eh_c; __eh_h=; trap "$__eh_trap" INT; __eh_in=1; if [[ $__eh_x == *x* ]]; then __eh_xon='set -x; '; else __eh_xon=; fi; }
__eh_e() { __eh_s=$? __eh_x=$-; if [[ $__eh_x == *x* ]]; then set +x; fi; if [[ -n $__eh_unw ]]; then trap - DEBUG; set +T; __eh_unw=; __eh_s=130; fi; __eh_in= __eh_c= __eh_xon=; printf '%s%s %d\n' "${__eh_n%-*}" "${__eh_n#*-}" "$__eh_s" >&` + markerFD + `; __eh_n=; }
__eh_E() { shopt -s expand_aliases; alias __eh_E="$__eh_al"; __eh_r; . /proc/self/fd/18 18<<<$__eh_src </dev/null ` + markerFD + `>&-; { __eh_e; } 2>/dev/null; }
__eh_q() { local s=$?; [[ -n $__eh_n ]] || return; { printf '%s%s %d exit\n' "${__eh_n%-*}" "${__eh_n#*-}" "$s" >&` + markerFD + `; } 2>/dev/null || printf '%s%s %d exit\n' "${__eh_n%-*}" "${__eh_n#*-}" "$s"; }
trap __eh_q EXIT
shopt -s expand_aliases; alias __eh_E="$__eh_al"
`

// commandScript is what runs cmd in the session's shell and prints its end
// marker: the line "__eh_E" and the header helpers describes, then cmd.
//
// The command runs through `. /proc/self/fd/18` (source, so `cd`, `export`,
// `declare` and functions persist at global scope, as typed at a terminal)
// whose text is `eval "$__eh_c"`; sourcing is what lets the SIGINT trap
// return out of the whole command. Its stdin is /dev/null, so it cannot eat
// the session's input, and the marker fd is closed for it. __eh_e runs with
// stderr discarded so that a user's `set -x` does not trace it; the user's
// xtrace setting is restored for the next command by __eh_r.
func commandScript(cmd, nonceA, nonceB string) string {
	return fmt.Sprintf("__eh_E\n%016d%s%s%s", len(cmd), nonceA, nonceB, cmd)
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
