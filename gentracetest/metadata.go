package gentracetest

// A Meta is one decoded metadata value object. The API accepts
// exactly three shapes, told apart by Type:
//
//	{"type": "url", "url": U, "text": T}   // U an absolute URL, T non-empty
//	{"type": "string", "value": S}         // S a string
//	{"type": "boolean", "value": B}        // B true or false
//
// Anything else (an unknown type, a missing or extra field, a value of the
// wrong type, null) makes the server reject the whole request.
type Meta struct {
	// Type is "url", "string" or "boolean".
	Type string `json:"type"`
	// URL and Text are set for Type "url".
	URL  string `json:"url,omitempty"`
	Text string `json:"text,omitempty"`
	// Value is a string for Type "string" and a bool for Type "boolean", so
	// that it compares with == against a literal; nil for Type "url".
	Value any `json:"value,omitempty"`
}
