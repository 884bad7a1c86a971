package client

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestCallerEnded(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	// A deadline that has just passed, while the context's own timer has
	// not fired yet, is what a loaded machine shows; a deadline a moment
	// ahead stands for the same race.
	closeBy, cancel3 := context.WithDeadline(context.Background(), time.Now().Add(deadlineSlack/10))
	defer cancel3()
	later, cancel4 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel4()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want codes.Code // OK: the caller still waits
	}{
		{"no deadline", context.Background(), codes.OK},
		{"deadline a minute ahead", later, codes.OK},
		{"gave up", cancelled, codes.Canceled},
		{"deadline passed", expired, codes.DeadlineExceeded},
		{"deadline within the slack", closeBy, codes.DeadlineExceeded},
	} {
		err := CallerEnded(tc.ctx)
		if got := status.Code(err); got != tc.want {
			t.Errorf("%s: CallerEnded = %v, want code %v", tc.name, err, tc.want)
		}
	}
}
