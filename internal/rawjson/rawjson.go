// Package rawjson marks JSON that the SDK's own code has already checked.
//
// The wire recorder splits request and response bodies into their members
// with a validating walk; encoding a run checks every json.RawMessage of a
// step again, because a user's may be anything. A Checked value is appended
// as it is. Only code of this module can make one, and it never reaches
// users: copies of steps (Runner.Steps, transforms, observers) hold
// json.RawMessage.
package rawjson

// Checked is a JSON value known to be valid.
type Checked []byte

// MarshalJSON returns the value as it is.
func (c Checked) MarshalJSON() ([]byte, error) {
	if c == nil {
		return []byte("null"), nil
	}
	return c, nil
}

// Pool hands out *Checked values carved from shared arrays. Putting a
// pointer in a map of any costs no allocation, where a slice would cost one
// each: a step's dozens of fields then cost one allocation per 32. The
// zero Pool is ready to use; a Pool is not safe for concurrent use.
type Pool struct{ buf []Checked }

// New returns a pointer to a Checked holding b.
func (p *Pool) New(b []byte) *Checked {
	if len(p.buf) == cap(p.buf) {
		p.buf = make([]Checked, 0, 32)
	}
	p.buf = append(p.buf, Checked(b))
	return &p.buf[len(p.buf)-1]
}
