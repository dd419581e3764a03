package container

import (
	"errors"
	"testing"
	"time"
)

// TestReportEndReachesTheLauncher: the driver's ReportEnd waits until the
// client-mode AM's link has the driver's end; a launcher that does not know
// the message (an AM of an older build) refuses it without ending the
// link; with no launcher connected it says so.
func TestReportEndReachesTheLauncher(t *testing.T) {
	ep, err := Listen(EndpointOptions{Addr: "127.0.0.1:0", Secret: "s", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	if err := ep.ReportEnd(t.Context(), DriverEnd{}); !errors.Is(err, ErrNoLauncher) {
		t.Fatalf("with no launcher: %v, want ErrNoLauncher", err)
	}
	connect := func(onEnded func(DriverEnd)) chan error {
		before := len(ep.launcherConns())
		done := make(chan error, 1)
		registered := make(chan struct{})
		go func() {
			done <- RunExecutor(t.Context(), ExecutorConfig{DriverAddress: ep.addr(), Secret: "s", ID: "application-master", Launcher: true,
				Heartbeat: 20 * time.Millisecond, Timeout: 2 * time.Second, OnRegistered: func() { close(registered) }, OnDriverEnded: onEnded})
		}()
		select {
		case <-registered:
		case err := <-done:
			t.Fatalf("launcher ended before registering: %v", err)
		}
		for len(ep.launcherConns()) == before { // the endpoint's side follows the handshake
			time.Sleep(time.Millisecond)
		}
		return done
	}

	old := connect(nil)
	if err := ep.ReportEnd(t.Context(), DriverEnd{Err: "boom"}); err == nil || !isRemote(err) {
		t.Fatalf("an AM without the message: %v, want its refusal", err)
	}
	select {
	case err := <-old:
		t.Fatalf("the refusal ended the link: %v", err)
	case <-time.After(100 * time.Millisecond):
	}

	got := make(chan DriverEnd, 1)
	connect(func(end DriverEnd) { got <- end })
	want := DriverEnd{Err: "batch failed", Unrecoverable: true, Signal: "SIGTERM"}
	if err := ep.ReportEnd(t.Context(), want); err == nil {
		t.Fatal("the older AM's refusal was not reported")
	}
	select {
	case end := <-got:
		if end != want {
			t.Fatalf("the AM heard %+v, want %+v", end, want)
		}
	default:
		t.Fatal("ReportEnd returned before the AM had the driver's end")
	}
}
