package deploy

import "strings"

// lineChanges lists the lines only in old ("- line") and only in new
// ("+ line"), each side in its own order. Configs compared here are in a
// canonical form (sorted where the platform's order carries no meaning),
// so this is as readable as a full diff and linear in size.
func lineChanges(old, new string) []string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	oc, nc := count(old), count(new)
	out := []string{}
	for _, l := range strings.Split(old, "\n") {
		if nc[l] > 0 {
			nc[l]--
			continue
		}
		if strings.TrimSpace(l) != "" {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(new, "\n") {
		if oc[l] > 0 {
			oc[l]--
			continue
		}
		if strings.TrimSpace(l) != "" {
			out = append(out, "+ "+l)
		}
	}
	return out
}
