//go:build integration

package hdfsstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/gostream/gostream/hdfsstore"
	"github.com/gostream/gostream/hdfsstore/fstest"
	"github.com/gostream/gostream/internal/hadoopconf"
	"github.com/gostream/gostream/testcluster"
)

// TestKerberosContract runs the FS contract suite (the operations
// checkpoints, the write-ahead log and outputs are made of) on the
// kerberized cluster's HDFS, through a Resolver logged in with a keytab as
// the engine's is (engine.StorageResolver fills KerberosPrincipal and
// KerberosKeytab from gostream.kerberos.*).
func TestKerberosContract(t *testing.T) {
	s := testcluster.GetSecure(t)
	t.Setenv("KRB5_CONFIG", s.Krb5Config)
	hc, err := hadoopconf.Load(s.HadoopConfDir)
	if err != nil {
		t.Fatal(err)
	}
	r := &hdfsstore.Resolver{Conf: hc, KerberosPrincipal: s.UserPrincipal, KerberosKeytab: s.UserKeytab}
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	fsys, _, err := r.ForPath(ctx, "/")
	if err != nil {
		t.Fatalf("ForPath on the kerberized HDFS: %v", err)
	}
	h, ok := fsys.(*hdfsstore.HDFS)
	if !ok {
		t.Fatalf("ForPath returned %T, want *hdfsstore.HDFS", fsys)
	}
	fstest.Run(t, func(t *testing.T) (hdfsstore.FS, string) { return h, testDir(t, h) })
}
