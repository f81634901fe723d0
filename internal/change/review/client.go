package review

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"
)

// NewClient returns a go-github client that authenticates with token
// against apiURL, which is $GITHUB_API_URL in Actions: empty or
// https://api.github.com for github.com, otherwise a GitHub Enterprise
// Server API root such as https://ghe.example.com/api/v3. hc may be nil.
func NewClient(token, apiURL string, hc *http.Client) (*github.Client, error) {
	c := github.NewClient(hc)
	if token != "" {
		c = c.WithAuthToken(token)
	}
	c.UserAgent = "peerform-review"
	if apiURL == "" || strings.TrimRight(apiURL, "/") == "https://api.github.com" {
		return c, nil
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("GitHub API URL %q: want an http(s) URL such as https://ghe.example.com/api/v3", apiURL)
	}
	// go-github resolves paths against BaseURL, which must end in a slash.
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	c.BaseURL = u
	up := *u
	up.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v3") + "/uploads/"
	c.UploadURL = &up
	return c, nil
}
