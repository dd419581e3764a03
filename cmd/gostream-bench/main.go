// Command gostream-bench measures gostream's throughput on the local master:
// for each pipeline it finds the highest input rate whose batches keep their
// total delay under the batch interval, and prints one JSON line per figure.
//
//	go run ./cmd/gostream-bench              # every benchmark
//	go run ./cmd/gostream-bench -bench wordcount,limit
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	benches := flag.String("bench", "limit,grep,wordcount,wordcount_wal,windowed,updatestate,mapwithstate,overload,recovery", "comma-separated benchmarks to run")
	master := flag.String("master", "local[2]", "local master to measure")
	trial := flag.Duration("trial", 12*time.Second, "length of one rate trial")
	oneTrial := flag.String("one-trial", "", "internal: run one trial, given as pipeline:rate:duration, and print its result")
	downtime := flag.Duration("downtime", time.Minute, "recovery: how long the driver stays down")
	recoveryPhase := flag.String("recovery-phase", "", "internal: run|restart:<checkpoint dir>")
	profile := flag.String("profile", "", "write CPU, block and mutex profiles and an execution trace of each trial into `dir`/<pipeline>-<rate>")
	flag.Parse()
	if *recoveryPhase != "" {
		if err := runRecoveryPhase(*master, *recoveryPhase); err != nil {
			fmt.Fprintln(os.Stderr, "gostream-bench:", err)
			os.Exit(1)
		}
		return
	}
	if *oneTrial != "" {
		if err := runOneTrial(*master, *oneTrial, *profile); err != nil {
			fmt.Fprintln(os.Stderr, "gostream-bench:", err)
			os.Exit(1)
		}
		return
	}

	b := &bench{master: *master, trial: *trial, out: json.NewEncoder(os.Stdout), downtime: *downtime, profile: *profile}
	names := strings.Split(*benches, ",")
	for _, name := range names {
		var err error
		switch name {
		case "limit":
			err = b.limit()
		case "grep", "wordcount", "wordcount_wal", "windowed", "updatestate", "mapwithstate":
			err = b.sustained(pipelines[name])
		case "overload":
			err = b.overload()
		case "recovery":
			err = b.recovery()
		default:
			err = fmt.Errorf("unknown benchmark %q (known: limit, grep, wordcount, wordcount_wal, windowed, updatestate, mapwithstate, overload, recovery)", name)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gostream-bench:", err)
			os.Exit(1)
		}
	}
}
