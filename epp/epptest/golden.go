package epptest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// UpdateGolden, when EPPD_UPDATE_GOLDEN=1, makes Golden write the files
// instead of comparing with them.
var UpdateGolden = os.Getenv("EPPD_UPDATE_GOLDEN") == "1"

var (
	svTRIDRE = regexp.MustCompile(`<svTRID>[^<]*</svTRID>`)
	// Elements and attributes that carry times.
	dateRE  = regexp.MustCompile(`(<([a-zA-Z]+:)?(svDate|crDate|upDate|exDate|trDate|reDate|acDate|qDate|paDate|curExpDate)>)[^<]*(</)`)
	roidRE  = regexp.MustCompile(`(<([a-zA-Z]+:)?roid>)[^<]*(</)`)
	msgIDRE = regexp.MustCompile(`(<msgQ count="\d+" id=")[^"]*(")`)
)

// Mask replaces what changes from run to run (server transaction IDs,
// dates, repository object IDs, message IDs) with fixed text.
func Mask(doc []byte) string {
	s := svTRIDRE.ReplaceAllString(string(doc), "<svTRID>SVTRID</svTRID>")
	s = dateRE.ReplaceAllString(s, "${1}DATE${4}")
	s = roidRE.ReplaceAllString(s, "${1}ROID${3}")
	s = msgIDRE.ReplaceAllString(s, "${1}ID${2}")
	return s
}

// Golden sends request, validates the answer, and compares the request and the
// masked answer with testdata/epp/<name>.request.xml and
// .response.xml at the repository root. It returns the answer.
func (c *Client) Golden(name, request string) []byte {
	c.t.Helper()
	resp := c.Do(request)
	root, err := RepoRoot()
	if err != nil {
		c.t.Fatal(err)
	}
	base := filepath.Join(root, "testdata", "epp", filepath.FromSlash(name))
	reqFile, respFile := base+".request.xml", base+".response.xml"
	masked := Mask(resp)
	if UpdateGolden {
		if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
			c.t.Fatal(err)
		}
		if err := os.WriteFile(reqFile, []byte(strings.TrimSpace(request)+"\n"), 0o644); err != nil {
			c.t.Fatal(err)
		}
		if err := os.WriteFile(respFile, []byte(masked+"\n"), 0o644); err != nil {
			c.t.Fatal(err)
		}
		return resp
	}
	wantReq, err := os.ReadFile(reqFile)
	if err != nil {
		c.t.Fatalf("golden %s: %v (run with EPPD_UPDATE_GOLDEN=1 to create it)", name, err)
	}
	if strings.TrimSpace(string(wantReq)) != strings.TrimSpace(request) {
		c.t.Errorf("golden %s: the request differs from %s (run with EPPD_UPDATE_GOLDEN=1 after checking)", name, reqFile)
	}
	want, err := os.ReadFile(respFile)
	if err != nil {
		c.t.Fatalf("golden %s: %v", name, err)
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(masked) {
		c.t.Errorf("golden %s: response differs\n--- want (%s)\n%s\n--- got\n%s", name, respFile, want, masked)
	}
	return resp
}
