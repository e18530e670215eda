package protocol

import "time"

// ChatReport answers GET /api/Report/chats: the chats started in
// [from, to), one row a group.
type ChatReport struct {
	From    time.Time       `json:"from"`
	To      time.Time       `json:"to"`
	GroupBy string          `json:"groupBy"` // day, agent or profile
	Rows    []ChatReportRow `json:"rows"`
}

// ChatReportRow is one group of a chat report. Times are seconds; null
// when no chat of the group had one.
type ChatReportRow struct {
	// Key is the day (YYYY-MM-DD, UTC), the agent's id ("0": none) or the
	// profile's id; Label the agent's or profile's name.
	Key      string `json:"key"`
	Label    string `json:"label"`
	Started  int64  `json:"started"`
	Answered int64  `json:"answered"` // accepted by an agent
	Missed   int64  `json:"missed"`   // ended while waiting for an agent
	// FirstResponseP50 and P90: from the wait for an agent to the first
	// agent message.
	FirstResponseP50 *float64 `json:"firstResponseP50"`
	FirstResponseP90 *float64 `json:"firstResponseP90"`
	TimeToEndAvg     *float64 `json:"timeToEndAvg"` // start to end, ended chats
	RatingAvg        *float64 `json:"ratingAvg"`
	RatingCount      int64    `json:"ratingCount"`
}
