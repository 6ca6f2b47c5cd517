package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	// The time zone database is built in, so that a DeploymentWindow's TimeZone means the same
	// on every machine: a plan checks it, and a run evaluates it, without the host's zoneinfo.
	_ "time/tzdata"
)

// A DeploymentWindow rule's Cron is a cron expression in the form the CodePipeline rule
// reference gives: six fields and an optional seventh, separated by white space —
//
//	seconds minutes hours day-of-month month day-of-week [year]
//
// with * , - / in every field, ? in day-of-month or day-of-week (one of the two must be ?
// when the other is set), L and W in day-of-month, L and # in day-of-week, months as 1–12 or
// JAN–DEC and days of the week as 1–7 (Sunday first) or SUN–SAT. A time is in the window when
// every field matches it.

// CronSchedule is a parsed cron expression.
type CronSchedule struct {
	expr                         string
	seconds, minutes, hours      bitset
	months                       bitset
	years                        bitset // empty: any year
	anyYear                      bool
	dom                          domSpec
	dow                          dowSpec
	domRestricted, dowRestricted bool
}

type bitset map[int]bool

// domSpec is the day-of-month field: days, or the last day (L, with an offset L-n), or the
// weekday nearest a day (nW) or to the last day (LW).
type domSpec struct {
	days       bitset
	last       bool
	lastOffset int
	nearestWD  int // nW: the weekday nearest day n; 0 when not used
	lastWD     bool
}

// dowSpec is the day-of-week field: weekdays (0 = Sunday), or the last given weekday of the
// month (nL), or the nth given weekday (d#n).
type dowSpec struct {
	days    bitset
	lastDay int // nL: weekday+1; 0 when not used
	nthDay  int // d#n: weekday+1; 0 when not used
	nth     int
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

// parsed remembers what ParseCron and LoadTimeZone made of a text: a plan validates a pipeline
// several times (configuration, plan, apply), each time with the same windows. The values are
// never changed once made; the cache stops growing at maxParsed entries.
var parsed struct {
	sync.Mutex
	m map[string]any
}

const maxParsed = 1024

func cached[T any](key string, make func() (T, error)) (T, error) {
	parsed.Lock()
	v, ok := parsed.m[key]
	parsed.Unlock()
	if ok {
		if err, isErr := v.(error); isErr {
			var zero T
			return zero, err
		}
		return v.(T), nil
	}
	out, err := make()
	parsed.Lock()
	if parsed.m == nil {
		parsed.m = map[string]any{}
	}
	if len(parsed.m) < maxParsed {
		if err != nil {
			parsed.m[key] = err
		} else {
			parsed.m[key] = out
		}
	}
	parsed.Unlock()
	return out, err
}

// ParseCron parses a DeploymentWindow cron expression. The error says which field is wrong
// and why.
func ParseCron(expr string) (*CronSchedule, error) {
	return cached("cron\x00"+expr, func() (*CronSchedule, error) { return parseCron(expr) })
}

func parseCron(expr string) (*CronSchedule, error) {
	fields := strings.Fields(expr)
	if len(fields) != 6 && len(fields) != 7 {
		return nil, fmt.Errorf("has %d fields; a cron expression has 6 (seconds minutes hours day-of-month month day-of-week) and an optional seventh (year)", len(fields))
	}
	s, err := parseCronFields(fields)
	if err != nil {
		return nil, fmt.Errorf("is not valid: %w", err)
	}
	s.expr = expr
	if fields[3] == "?" && fields[5] == "?" {
		return nil, fmt.Errorf("has ? in both day-of-month and day-of-week; one of them must name the days")
	}
	if fields[3] != "?" && fields[5] != "?" {
		return nil, fmt.Errorf("sets both day-of-month (%s) and day-of-week (%s); one of them must be ?", fields[3], fields[5])
	}
	return s, nil
}

// parseCronFields parses the fields of an expression of 6 or 7 fields.
func parseCronFields(fields []string) (*CronSchedule, error) {
	s := &CronSchedule{anyYear: true}
	var err error
	if s.seconds, err = parseCronField(fields[0], "seconds", 0, 59, nil); err != nil {
		return nil, err
	}
	if s.minutes, err = parseCronField(fields[1], "minutes", 0, 59, nil); err != nil {
		return nil, err
	}
	if s.hours, err = parseCronField(fields[2], "hours", 0, 23, nil); err != nil {
		return nil, err
	}
	if s.months, err = parseCronField(fields[4], "month", 1, 12, monthNames); err != nil {
		return nil, err
	}
	if s.dom, s.domRestricted, err = parseDayOfMonth(fields[3]); err != nil {
		return nil, err
	}
	if s.dow, s.dowRestricted, err = parseDayOfWeek(fields[5]); err != nil {
		return nil, err
	}
	if len(fields) == 7 && fields[6] != "*" {
		if s.years, err = parseCronField(fields[6], "year", 1970, 2199, nil); err != nil {
			return nil, err
		}
		s.anyYear = false
	}
	return s, nil
}

// String returns the expression as written.
func (s *CronSchedule) String() string { return s.expr }

// Matches reports whether t (in the location it carries) is in the window.
func (s *CronSchedule) Matches(t time.Time) bool {
	return s.dayMatches(t) && s.hours[t.Hour()] && s.minutes[t.Minute()] && s.seconds[t.Second()]
}

// dayMatches reports whether t's date is one of the window's days.
func (s *CronSchedule) dayMatches(t time.Time) bool {
	if !s.anyYear && !s.years[t.Year()] {
		return false
	}
	if !s.months[int(t.Month())] {
		return false
	}
	if s.domRestricted {
		return s.dom.matches(t)
	}
	if s.dowRestricted {
		return s.dow.matches(t)
	}
	return true
}

// Next returns the first time at or after t (to the second) that is in the window, and false
// when there is none within limit.
func (s *CronSchedule) Next(t time.Time, limit time.Duration) (time.Time, bool) {
	t = t.Truncate(time.Second)
	end := t.Add(limit)
	for !t.After(end) {
		if !s.dayMatches(t) {
			y, m, d := t.Date()
			t = time.Date(y, m, d+1, 0, 0, 0, 0, t.Location())
			continue
		}
		if !s.hours[t.Hour()] {
			t = t.Truncate(time.Hour).Add(time.Hour)
			continue
		}
		if !s.minutes[t.Minute()] {
			t = t.Truncate(time.Minute).Add(time.Minute)
			continue
		}
		if !s.seconds[t.Second()] {
			t = t.Add(time.Second)
			continue
		}
		return t, true
	}
	return time.Time{}, false
}

func (d domSpec) matches(t time.Time) bool {
	day := t.Day()
	last := daysIn(t)
	switch {
	case d.last:
		return day == last-d.lastOffset
	case d.lastWD:
		return day == nearestWeekday(t, last)
	case d.nearestWD > 0:
		n := d.nearestWD
		if n > last {
			n = last
		}
		return day == nearestWeekday(t, n)
	}
	return d.days[day]
}

func (d dowSpec) matches(t time.Time) bool {
	wd := int(t.Weekday()) + 1 // 1 = Sunday, as the expression counts
	switch {
	case d.lastDay > 0:
		return wd == d.lastDay && t.Day()+7 > daysIn(t)
	case d.nthDay > 0:
		return wd == d.nthDay && (t.Day()-1)/7+1 == d.nth
	}
	return d.days[wd]
}

// daysIn returns the number of days of t's month.
func daysIn(t time.Time) int {
	return time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// nearestWeekday returns the day of t's month that is the weekday (Monday to Friday) nearest
// day n, without leaving the month.
func nearestWeekday(t time.Time, n int) int {
	d := time.Date(t.Year(), t.Month(), n, 0, 0, 0, 0, time.UTC)
	last := daysIn(t)
	switch d.Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

func parseDayOfMonth(f string) (domSpec, bool, error) {
	switch {
	case f == "?":
		return domSpec{}, false, nil
	case f == "*":
		return domSpec{}, false, nil
	case f == "L":
		return domSpec{last: true}, true, nil
	case f == "LW":
		return domSpec{lastWD: true}, true, nil
	case strings.HasPrefix(f, "L-"):
		n, err := strconv.Atoi(f[2:])
		if err != nil || n < 0 || n > 30 {
			return domSpec{}, false, fmt.Errorf("day-of-month %q: L-n takes n from 0 to 30", f)
		}
		return domSpec{last: true, lastOffset: n}, true, nil
	case strings.HasSuffix(f, "W"):
		n, err := strconv.Atoi(strings.TrimSuffix(f, "W"))
		if err != nil || n < 1 || n > 31 {
			return domSpec{}, false, fmt.Errorf("day-of-month %q: nW takes a day n from 1 to 31", f)
		}
		return domSpec{nearestWD: n}, true, nil
	}
	days, err := parseCronField(f, "day-of-month", 1, 31, nil)
	return domSpec{days: days}, true, err
}

func parseDayOfWeek(f string) (dowSpec, bool, error) {
	switch {
	case f == "?" || f == "*":
		return dowSpec{}, false, nil
	case f == "L":
		return dowSpec{days: bitset{7: true}}, true, nil // L alone is the last day of the week
	case strings.HasSuffix(f, "L"):
		d, ok := cronValue(strings.TrimSuffix(f, "L"), 1, 7, dayNames)
		if !ok {
			return dowSpec{}, false, fmt.Errorf("day-of-week %q: nL takes a day of the week (1-7 or SUN-SAT)", f)
		}
		return dowSpec{lastDay: d}, true, nil
	case strings.Contains(f, "#"):
		day, nth, _ := strings.Cut(f, "#")
		d, ok := cronValue(day, 1, 7, dayNames)
		n, err := strconv.Atoi(nth)
		if !ok || err != nil || n < 1 || n > 5 {
			return dowSpec{}, false, fmt.Errorf("day-of-week %q: d#n takes a day of the week (1-7 or SUN-SAT) and n from 1 to 5", f)
		}
		return dowSpec{nthDay: d, nth: n}, true, nil
	}
	days, err := parseCronField(f, "day-of-week", 1, 7, dayNames)
	return dowSpec{days: days}, true, err
}

// parseCronField parses a list of *, values, ranges a-b and steps x/n of one field.
func parseCronField(f, name string, lo, hi int, names map[string]int) (bitset, error) {
	out := bitset{}
	for _, part := range strings.Split(f, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s %q: the step after / must be a positive number", name, part)
			}
			step = n
		}
		first, last := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			x, ok1 := cronValue(a, lo, hi, names)
			y, ok2 := cronValue(b, lo, hi, names)
			if !ok1 || !ok2 || x > y {
				return nil, fmt.Errorf("%s %q: a range is from-to with %s", name, part, cronRange(lo, hi, names))
			}
			first, last = x, y
		default:
			x, ok := cronValue(rng, lo, hi, names)
			if !ok {
				return nil, fmt.Errorf("%s %q: values are %s", name, part, cronRange(lo, hi, names))
			}
			first = x
			if !hasStep {
				last = x
			}
		}
		for v := first; v <= last; v += step {
			out[v] = true
		}
	}
	return out, nil
}

func cronValue(s string, lo, hi int, names map[string]int) (int, bool) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, true
	}
	v, err := strconv.Atoi(s)
	return v, err == nil && v >= lo && v <= hi
}

func cronRange(lo, hi int, names map[string]int) string {
	r := fmt.Sprintf("%d to %d", lo, hi)
	switch len(names) {
	case 12:
		r += " or JAN to DEC"
	case 7:
		r += " or SUN to SAT"
	}
	return r
}

// LoadTimeZone returns the location a DeploymentWindow's TimeZone names: "" and "UTC" are
// UTC, anything else an IANA time zone name (America/New_York).
func LoadTimeZone(name string) (*time.Location, error) {
	return cached("tz\x00"+name, func() (*time.Location, error) { return loadTimeZone(name) })
}

func loadTimeZone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return nil, fmt.Errorf("%q is not a time zone name", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a time zone of the IANA database (such as UTC or America/New_York)", name)
	}
	return loc, nil
}

// DeploymentWindow is a DeploymentWindow rule's configuration, parsed.
type DeploymentWindow struct {
	Schedule *CronSchedule
	Location *time.Location
}

// ParseDeploymentWindow parses a DeploymentWindow rule's Cron and TimeZone.
func ParseDeploymentWindow(cfg map[string]string) (*DeploymentWindow, error) {
	s, err := ParseCron(cfg["Cron"])
	if err != nil {
		return nil, fmt.Errorf("Cron %q %w", cfg["Cron"], err)
	}
	loc, err := LoadTimeZone(cfg["TimeZone"])
	if err != nil {
		return nil, fmt.Errorf("TimeZone: %w", err)
	}
	return &DeploymentWindow{Schedule: s, Location: loc}, nil
}

// Open reports whether the window is open at t.
func (w *DeploymentWindow) Open(t time.Time) bool { return w.Schedule.Matches(t.In(w.Location)) }

// NextOpen returns when the window next opens at or after t (within a few years), in the
// window's time zone.
func (w *DeploymentWindow) NextOpen(t time.Time) (time.Time, bool) {
	return w.Schedule.Next(t.In(w.Location), 5*366*24*time.Hour)
}
