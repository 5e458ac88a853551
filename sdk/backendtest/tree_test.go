package backendtest

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestTreeRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	want, err := writeTree(&buf, "root", 2<<20, 7)
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, e := range want {
		size += e.Size
	}
	if size != 2<<20 {
		t.Errorf("tree holds %d bytes of content, want %d", size, 2<<20)
	}
	problems, err := checkTree(bytes.NewReader(buf.Bytes()), want)
	if err != nil || len(problems) > 0 {
		t.Fatalf("checkTree of its own output: err %v, problems %v", err, problems)
	}

	// Deterministic: the same seed gives the same stream.
	var again bytes.Buffer
	if _, err := writeTree(&again, "root", 2<<20, 7); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("writeTree is not deterministic")
	}
}

func TestCheckTreeFindsDifferences(t *testing.T) {
	var buf bytes.Buffer
	want, err := writeTree(&buf, "root", 1<<20, 9)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite the tar: drop one entry, change a mode, a link and a byte.
	var out bytes.Buffer
	tr, tw := tar.NewReader(&buf), tar.NewWriter(&out)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		switch hdr.Name {
		case "root/empty/":
			continue
		case "root/secret/key":
			hdr.Mode = 0o644
		case "root/link-rel":
			hdr.Linkname = "elsewhere"
		case "root/big.bin":
			body[len(body)/2] ^= 1
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	problems, err := checkTree(&out, want)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(problems, "\n")
	for _, w := range []string{`missing entry "root/empty"`, "root/secret/key: mode", "root/link-rel: link target", "root/big.bin: content differs"} {
		if !strings.Contains(got, w) {
			t.Errorf("problems do not mention %q:\n%s", w, got)
		}
	}
}
