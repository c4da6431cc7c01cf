package vulndb

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// kevCatalog is the CISA KEV JSON feed
// (https://www.cisa.gov/known-exploited-vulnerabilities-catalog).
type kevCatalog struct {
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Vulnerabilities []struct {
		CVEID                      string `json:"cveID"`
		DateAdded                  string `json:"dateAdded"`
		DueDate                    string `json:"dueDate"`
		KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

// ReadKEV reads a CISA KEV catalog (JSON, optionally gzipped).
func ReadKEV(p string) (*Batch, error) {
	r, closeFn, err := openMaybeGzip(p)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	data, err := readAllLimited(r, MaxKEVBytes, "a KEV catalog")
	if err != nil {
		return nil, fmt.Errorf("reading KEV catalog %s: %w", p, err)
	}
	var c kevCatalog
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("KEV catalog %s: invalid JSON: %w", p, err)
	}
	if len(c.Vulnerabilities) == 0 {
		return nil, fmt.Errorf("KEV catalog %s: no vulnerabilities", p)
	}
	abs, _ := filepath.Abs(p)
	bt := &Batch{Meta: SourceMeta{Name: "kev", Kind: KindKEV, Location: abs, FetchedAt: time.Now().UTC(),
		Modified: parseTime(c.DateReleased), SHA256: sha256Hex(data)}}
	for i, v := range c.Vulnerabilities {
		if !strings.HasPrefix(v.CVEID, "CVE-") {
			return nil, fmt.Errorf("KEV catalog %s: vulnerabilities[%d] has no cveID", p, i)
		}
		bt.KEV = append(bt.KEV, KEV{CVE: v.CVEID, DateAdded: v.DateAdded, DueDate: v.DueDate,
			KnownRansomware: strings.EqualFold(v.KnownRansomwareCampaignUse, "Known")})
	}
	return bt, nil
}

// ReadEPSS reads FIRST EPSS scores: the daily CSV (gzip or plain; an
// optional "#model_version:…,score_date:…" line, then "cve,epss,percentile")
// or vulsio's JSON conversion ({"score_date", "data": [{"id","epss"}]}),
// which has no percentile (reported as 0).
func ReadEPSS(p string) (*Batch, error) {
	r, closeFn, err := openMaybeGzip(p)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	abs, _ := filepath.Abs(p)
	bt := &Batch{Meta: SourceMeta{Name: "epss", Kind: KindEPSS, Location: abs, FetchedAt: time.Now().UTC()},
		EPSS: map[string][2]float32{}}
	br := newPeekReader(r)
	first, _ := br.peekNonSpace()
	if first == '{' {
		err = readEPSSJSON(br, bt)
	} else {
		err = readEPSSCSV(br, bt)
	}
	if err != nil {
		return nil, fmt.Errorf("EPSS file %s: %w", p, err)
	}
	if len(bt.EPSS) == 0 {
		return nil, fmt.Errorf("EPSS file %s: no scores", p)
	}
	bt.Meta.Modified = parseTime(bt.EPSSDate)
	if !bt.Meta.Modified.IsZero() {
		bt.EPSSDate = bt.Meta.Modified.Format("2006-01-02")
	}
	return bt, nil
}

func readEPSSJSON(r io.Reader, bt *Batch) error {
	var doc struct {
		ScoreDate string `json:"score_date"`
		Data      []struct {
			ID         string  `json:"id"`
			CVE        string  `json:"cve"`
			EPSS       float64 `json:"epss"`
			Percentile float64 `json:"percentile"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	bt.EPSSDate = normDate(doc.ScoreDate)
	for _, d := range doc.Data {
		id := d.ID
		if id == "" {
			id = d.CVE
		}
		if err := checkScore(id, d.EPSS, d.Percentile); err != nil {
			return err
		}
		bt.EPSS[id] = [2]float32{float32(d.EPSS), float32(d.Percentile)}
	}
	return nil
}

// normDate makes EPSS' "2021-08-31T00:00:00+0000" parseable as RFC 3339.
func normDate(s string) string {
	if t := parseTime(s); !t.IsZero() {
		return t.Format(time.RFC3339)
	}
	if len(s) >= 10 {
		if t := parseTime(s[:10]); !t.IsZero() {
			return t.Format(time.RFC3339)
		}
	}
	return s
}

func checkScore(id string, score, pct float64) error {
	if !strings.HasPrefix(id, "CVE-") {
		return fmt.Errorf("row %q: not a CVE id", id)
	}
	if score < 0 || score > 1 || pct < 0 || pct > 1 {
		return fmt.Errorf("row %s: score %v / percentile %v outside [0,1]", id, score, pct)
	}
	return nil
}

func readEPSSCSV(r *peekReader, bt *Batch) error {
	cr := csv.NewReader(r)
	cr.Comment = 0
	cr.FieldsPerRecord = -1
	header := false
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		switch {
		case len(rec) > 0 && strings.HasPrefix(rec[0], "#"):
			for _, f := range rec {
				if d, ok := strings.CutPrefix(strings.TrimPrefix(f, "#"), "score_date:"); ok {
					bt.EPSSDate = normDate(d)
				}
			}
			continue
		case !header:
			if len(rec) < 2 || rec[0] != "cve" || rec[1] != "epss" {
				return fmt.Errorf("line %d: header %q is not cve,epss[,percentile]", line, strings.Join(rec, ","))
			}
			header = true
			continue
		}
		if len(rec) < 2 {
			return fmt.Errorf("line %d: %d fields, want cve,epss[,percentile]", line, len(rec))
		}
		score, err1 := strconv.ParseFloat(rec[1], 64)
		pct := 0.0
		var err2 error
		if len(rec) > 2 {
			pct, err2 = strconv.ParseFloat(rec[2], 64)
		}
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if err := checkScore(rec[0], score, pct); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		bt.EPSS[rec[0]] = [2]float32{float32(score), float32(pct)}
	}
	return nil
}

// peekReader lets the EPSS reader look at the first byte to pick a format.
type peekReader struct {
	r   io.Reader
	buf []byte
}

func newPeekReader(r io.Reader) *peekReader { return &peekReader{r: r} }

func (p *peekReader) peekNonSpace() (byte, error) {
	tmp := make([]byte, 64)
	for len(strings.TrimSpace(string(p.buf))) == 0 {
		n, err := p.r.Read(tmp)
		p.buf = append(p.buf, tmp[:n]...)
		if err != nil {
			break
		}
	}
	t := strings.TrimSpace(string(p.buf))
	if t == "" {
		return 0, errEmpty
	}
	return t[0], nil
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}
