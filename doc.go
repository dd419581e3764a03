// Package gostream is the entry point of a gostream application that can run
// in every role: Main reads GOSTREAM_ROLE and runs the driver with a local
// master (unset or "driver"), the YARN application master with the driver
// in-process ("am", package am), or a YARN executor ("executor", package
// container).
//
// It lives in the module's root package because it links everything: the
// engine never imports YARN code (docs/ARCHITECTURE.md), so engine.Main can
// only run the driver with a local master. Build applications with
// gostream.Main to deploy them with gostream-submit --master yarn.
//
//	func main() {
//		gostream.Main(time.Second, func(ssc *engine.Context) error {
//			lines := engine.SocketTextStream(ssc, "localhost:9999")
//			…
//			return nil
//		})
//	}
package gostream
