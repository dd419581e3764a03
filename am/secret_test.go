package am

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostream/gostream/internal/hadoop/token"
)

func TestContainerSecret(t *testing.T) {
	env := map[string]string{token.EnvTokenFile: writeSecret(t, "s3cret")}
	if s, err := ContainerSecret(func(k string) string { return env[k] }); err != nil || s != "s3cret" {
		t.Fatalf("ContainerSecret: %q, %v", s, err)
	}

	if _, err := ContainerSecret(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), token.EnvTokenFile) {
		t.Errorf("without credentials: %v, want an error naming %s", err, token.EnvTokenFile)
	}
	var other token.Credentials
	other.AddSecret("something else", []byte("x"))
	name := filepath.Join(t.TempDir(), "tokens")
	if err := other.WriteFile(name, token.Format1); err != nil {
		t.Fatal(err)
	}
	env[token.EnvTokenFile] = name
	if _, err := ContainerSecret(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), secretAlias) {
		t.Errorf("credentials without the secret: %v, want an error naming %s", err, secretAlias)
	}
	env[token.EnvTokenFile] = filepath.Join(t.TempDir(), "missing")
	if _, err := ContainerSecret(func(k string) string { return env[k] }); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing credentials file: %v", err)
	}
}
