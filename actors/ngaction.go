package actors

import (
	"encoding/json"
	"strconv"

	"github.com/presenced/presenced/internal/jsonscan"
)

// NgAction is a decoded ng-action payload, the one event clients send:
// {"action": "pong"|"login"|"logout", "socket_id": "…", "token": "…"|null, "seq"?: n}.
type NgAction struct {
	Action  string
	Token   string // non-empty when the payload carried one
	Seq     uint64 // the sweep a pong answers; 0 when absent, null or not a positive integer
	Problem string // non-empty: a bad request, and why
}

const (
	problemShape = "ng-action needs an object with a string action"
	problemToken = "token must be a string or null"
)

// DecodeNgAction decodes an ng-action's arguments with a validating scanner (no
// reflection; the pong path's only parse). Conn.Event calls it in the transport's
// goroutine, so that conn actors do no JSON work.
func DecodeNgAction(args []json.RawMessage) NgAction {
	var act NgAction
	var actionOK, tokenOK = false, true
	if len(args) == 0 {
		return NgAction{Problem: problemShape}
	}
	err := jsonscan.Fields(args[0], func(key string, v []byte) {
		switch key {
		case "action":
			act.Action, actionOK = jsonscan.Unquote(v)
		case "token":
			if string(v) == "null" {
				act.Token, tokenOK = "", true
				return
			}
			act.Token, tokenOK = jsonscan.Unquote(v)
		case "seq":
			act.Seq, _ = strconv.ParseUint(string(v), 10, 64)
		}
	})
	switch {
	case err != nil || !actionOK || act.Action == "":
		return NgAction{Problem: problemShape}
	case !tokenOK:
		return NgAction{Action: act.Action, Problem: problemToken}
	}
	return act
}
