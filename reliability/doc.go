// Package reliability holds the crash, fault and load suites of the AIM
// platform (issue 8, items 1 to 3). Every test builds the aim command once
// (TestMain), runs it as child processes on loopback addresses and data
// directories of its own, and drives it over gRPC and REST as a client
// would.
//
// The suites have two forms. The bounded form runs under a plain `go test`
// (and so in `make test`) in well under a minute: three crash rounds and
// about five seconds of load. The long form runs when AIM_SOAK=1 (`make
// soak`): at least twenty crash rounds and at least a minute of load.
// docs/reliability.md records the figures of the last long run.
//
// Environment:
//
//	AIM_SOAK=1               the long form
//	AIM_CRASH_ROUNDS=n       crash rounds (default 3, 20 with AIM_SOAK)
//	AIM_LOAD_DURATION=d      load duration (default 5s, 60s with AIM_SOAK)
//	AIM_SEED=n               seed of the random kill moments and load mix
//	AIM_RELIABILITY_REPORT=dir  write each suite's figures there as JSON
//
// The suites need Linux (/proc, prlimit); elsewhere the package has no
// tests. There is no non-test code: this file only documents the package.
package reliability
