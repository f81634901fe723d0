package pipeline

import (
	"time"

	"github.com/peerform/peerform/internal/decide/traffic"
	"github.com/peerform/peerform/internal/sources/asrel"
)

// loadGraph reads an AS-relationships file as a graph ("" → nil).
func loadGraph(path string) (*asrel.Graph, error) {
	if path == "" {
		return nil, nil
	}
	rels, err := asrel.Load(path)
	if err != nil {
		return nil, err
	}
	return rels.Graph(), nil
}

// StoreEnd is where a period ends by default: now, or the end of the
// store's last day when that is earlier (a store of past data).
func StoreEnd(s *traffic.Store) (time.Time, error) {
	now := time.Now().Truncate(traffic.Bucket)
	days, err := s.Days()
	if err != nil || len(days) == 0 {
		return now, err
	}
	if end := days[len(days)-1].Add(24 * time.Hour); end.Before(now) {
		return end, nil
	}
	return now, nil
}
