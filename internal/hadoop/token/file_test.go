package token

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A Format0 file built byte by byte from Hadoop's Credentials.write layout:
// one token and one secret key.
var handBuilt = []byte{
	'H', 'D', 'T', 'S', 0x00,
	0x01,                          // one token
	0x05, 'a', 'l', 'i', 'a', 's', // alias
	0x03, 0x01, 0x02, 0x03, // identifier
	0x02, 0xaa, 0xbb, // password
	0x10, 'Y', 'A', 'R', 'N', '_', 'A', 'M', '_', 'R', 'M', '_', 'T', 'O', 'K', 'E', 'N', // kind (16 bytes)
	0x0e, '1', '2', '7', '.', '0', '.', '0', '.', '1', ':', '8', '0', '3', '0', // service
	0x01,                // one secret
	0x03, 'k', 'e', 'y', // alias
	0x04, 's', 'e', 'c', 'r',
}

func TestParseHandBuilt(t *testing.T) {
	c, err := Parse(handBuilt)
	if err != nil {
		t.Fatal(err)
	}
	want := &Credentials{
		Tokens: []Entry{{Alias: "alias", Token: Token{
			Identifier: []byte{1, 2, 3}, Password: []byte{0xaa, 0xbb}, Kind: KindAMRM, Service: "127.0.0.1:8030",
		}}},
		Secrets: []Secret{{Alias: "key", Key: []byte("secr")}},
	}
	if !c.Equal(want) {
		t.Fatalf("parsed %+v, want %+v", c, want)
	}
	if tok, ok := c.ByKind(KindAMRM); !ok || tok.Service != "127.0.0.1:8030" {
		t.Errorf("ByKind: %v %v", tok, ok)
	}
	got, err := want.Marshal(Format0)
	if err != nil || !bytes.Equal(got, handBuilt) {
		t.Fatalf("Marshal = % x, %v; want % x", got, err, handBuilt)
	}
}

func TestRoundTripBothFormats(t *testing.T) {
	c := &Credentials{}
	big := bytes.Repeat([]byte{0x5a}, 300) // lengths beyond one vint byte
	c.Add("a", Token{Identifier: big, Password: []byte("p"), Kind: KindNM, Service: "h:1"})
	c.Add("b", Token{Kind: KindHDFS})
	c.Add("a", Token{Identifier: []byte("replaced"), Kind: KindNM})
	c.AddSecret("s", big)
	dir := t.TempDir()
	for _, f := range []Format{Format0, Format1} {
		name := filepath.Join(dir, "tokens")
		if err := c.WriteFile(name, f); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(name)
		if err != nil {
			t.Fatalf("format %d: %v", f, err)
		}
		if !got.Equal(c) {
			t.Fatalf("format %d: read %+v, want %+v", f, got, c)
		}
		if st, _ := os.Stat(name); st.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", st.Mode())
		}
	}
	env := map[string]string{EnvTokenFile: filepath.Join(dir, "tokens")}
	if _, err := ReadFromEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
}

func TestParseErrors(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":     nil,
		"magic":     []byte("XDTS\x00\x00\x00"),
		"format":    []byte("HDTS\x07\x00\x00"),
		"truncated": handBuilt[:len(handBuilt)-2],
		"trailing":  append(append([]byte{}, handBuilt...), 0),
		"huge":      []byte("HDTS\x00\x01\x8c\x7f\xff\xff\xff"),
		"count":     []byte("HDTS\x00\x8c\x7f\xff\xff\xff"),
		"proto":     []byte("HDTS\x01\x05\x0a"),
	} {
		if _, err := Parse(data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: got %v, want ErrFormat", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(handBuilt)
	p, _ := (&Credentials{Tokens: []Entry{{Alias: "x", Token: Token{Kind: "k"}}}}).Marshal(Format1)
	f.Add(p)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		for _, fm := range []Format{Format0, Format1} {
			b, err := c.Marshal(fm)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(b); err != nil {
				t.Fatalf("re-parse of format %d: %v", fm, err)
			}
		}
	})
}
