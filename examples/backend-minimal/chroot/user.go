package chroot

import (
	"os"
	"strconv"
	"strings"

	"github.com/envhost/envhost/sdk"
)

// identity is who a process runs as.
type identity struct {
	UID, GID uint32
	Home     string
}

// lookupUser resolves "user[:group]" (names or numbers, as docker's --user)
// against the container's /etc/passwd and /etc/group. Empty means root.
func lookupUser(rootDir, spec string) (identity, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" {
		userPart = "0"
	}
	passwd := readDB(rootDir, "etc/passwd") // name:x:uid:gid:gecos:home:shell
	id := identity{Home: "/"}
	found := false
	for _, f := range passwd {
		if len(f) >= 6 && (f[0] == userPart || f[2] == userPart) {
			uid, err1 := strconv.ParseUint(f[2], 10, 32)
			gid, err2 := strconv.ParseUint(f[3], 10, 32)
			if err1 == nil && err2 == nil {
				id, found = identity{UID: uint32(uid), GID: uint32(gid), Home: f[5]}, true
				break
			}
		}
	}
	if !found {
		uid, err := strconv.ParseUint(userPart, 10, 32)
		if err != nil {
			return id, sdk.Errorf(sdk.ErrInvalidArgument, "user %q: not in the container's /etc/passwd", userPart)
		}
		id.UID = uint32(uid)
	}
	if !hasGroup {
		return id, nil
	}
	if gid, err := strconv.ParseUint(groupPart, 10, 32); err == nil {
		id.GID = uint32(gid)
		return id, nil
	}
	for _, f := range readDB(rootDir, "etc/group") { // name:x:gid:members
		if len(f) >= 3 && f[0] == groupPart {
			if gid, err := strconv.ParseUint(f[2], 10, 32); err == nil {
				id.GID = uint32(gid)
				return id, nil
			}
		}
	}
	return id, sdk.Errorf(sdk.ErrInvalidArgument, "group %q: not in the container's /etc/group", groupPart)
}

// readDB reads a colon-separated database file of the container, if any.
func readDB(rootDir, name string) [][]string {
	r, err := os.OpenRoot(rootDir)
	if err != nil {
		return nil
	}
	defer r.Close()
	data, err := r.ReadFile(name)
	if err != nil {
		return nil
	}
	var rows [][]string
	for line := range strings.Lines(string(data)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			rows = append(rows, strings.Split(line, ":"))
		}
	}
	return rows
}
