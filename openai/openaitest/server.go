package openaitest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"

	goopenai "github.com/sashabaranov/go-openai"
)

// Route is the URL path of an endpoint, as the server sees it.
type Route string

// The routes the server answers on its own. Any other route answers 404 with
// an OpenAI error body unless responses are scripted for it, so
// Route("/v1/models") can be scripted too.
const (
	RouteChatCompletions Route = "/v1/chat/completions"
	RouteCompletions     Route = "/v1/completions"
	RouteEmbeddings      Route = "/v1/embeddings"
	RouteModerations     Route = "/v1/moderations"
	RouteResponses       Route = "/v1/responses"
	RouteImages          Route = "/v1/images/generations"
	RouteTranscriptions  Route = "/v1/audio/transcriptions"
	RouteTranslations    Route = "/v1/audio/translations"
	RouteSpeech          Route = "/v1/audio/speech"
)

func (r Route) builtin() bool {
	switch r {
	case RouteChatCompletions, RouteCompletions, RouteEmbeddings, RouteModerations,
		RouteResponses, RouteImages, RouteTranscriptions, RouteTranslations, RouteSpeech:
		return true
	}
	return false
}

// multipart reports whether the route takes multipart/form-data requests.
func (r Route) multipart() bool {
	return r == RouteTranscriptions || r == RouteTranslations
}

// jsonStreams reports whether the route answers JSON or a stream as the
// request's "stream" asks.
func (r Route) jsonStreams() bool {
	switch r {
	case RouteChatCompletions, RouteCompletions, RouteResponses:
		return true
	}
	return false
}

// idPrefix is the prefix OpenAI gives the ids of the route's responses.
func (r Route) idPrefix() string {
	switch r {
	case RouteChatCompletions:
		return "chatcmpl-openaitest-"
	case RouteCompletions:
		return "cmpl-openaitest-"
	case RouteModerations:
		return "modr-openaitest-"
	case RouteResponses:
		return "resp_openaitest_"
	}
	return "openaitest-"
}

func (r Route) defaultModel() string {
	switch r {
	case RouteChatCompletions, RouteResponses:
		return defaultChatModel
	case RouteCompletions:
		return defaultCompletionModel
	case RouteEmbeddings:
		return defaultEmbeddingModel
	case RouteModerations:
		return defaultModerationModel
	case RouteImages:
		return defaultImageModel
	case RouteTranscriptions, RouteTranslations:
		return defaultTranscriptionModel
	case RouteSpeech:
		return defaultSpeechModel
	}
	return ""
}

// Server is a fake OpenAI API on a loopback port, in the spirit of
// [httptest.Server]. It answers the chat completions, Responses, legacy
// completions, embeddings, moderations, image generation and audio routes
// in OpenAI's wire format, streamed or not, so the unmodified go-openai and
// openai-go clients work against it.
//
// Each route answers with the next response queued by [Server.Enqueue], else
// with the one set by [Server.SetDefault], else with its built-in default
// (see the package documentation). Every request is recorded for
// [Server.Requests].
//
// All methods are safe for concurrent use, also while requests are served.
// A Server must be closed with [Server.Close].
type Server struct {
	srv    *httptest.Server
	cfg    config
	wire   wireFills
	seq    atomic.Uint64
	done   chan struct{} // closed by Close, to end waits and streams
	closer sync.Once

	mu       sync.Mutex
	scripts  map[Route]*script
	requests []Request
}

type script struct {
	queue []Response
	def   *Response
}

// NewServer starts a Server on a loopback port. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		cfg:     config{apiKey: defaultAPIKey},
		done:    make(chan struct{}),
		scripts: make(map[Route]*script),
	}
	for _, o := range opts {
		o(&s.cfg)
	}
	s.wire = newWireFills(s.cfg.wire)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close ends open streams, shuts the server down and blocks until all
// requests have completed. Calling it more than once is harmless.
func (s *Server) Close() {
	s.closer.Do(func() {
		close(s.done)
		s.srv.Close()
	})
}

// URL returns the base URL of the API, for example "http://127.0.0.1:4242/v1",
// which is what go-openai's [goopenai.ClientConfig].BaseURL expects. The
// official client github.com/openai/openai-go wants it with a trailing
// slash:
//
//	client := goopenai.NewClient(
//		option.WithBaseURL(srv.URL()+"/"),
//		option.WithAPIKey("test-key"),
//		option.WithHTTPClient(srv.HTTPClient()),
//	)
func (s *Server) URL() string {
	return s.srv.URL + "/v1"
}

// HTTPClient returns an HTTP client for the server whose idle connections
// [Server.Close] closes, for clients other than go-openai (openai-go's
// option.WithHTTPClient, or plain net/http).
func (s *Server) HTTPClient() *http.Client {
	return s.srv.Client()
}

// ClientConfig returns a go-openai configuration that talks to the server:
// go-openai's defaults with BaseURL set to [Server.URL], the API key
// "test-key" (or the one given by [WithRequiredKey]) and an HTTP client whose idle
// connections [Server.Close] closes.
func (s *Server) ClientConfig() goopenai.ClientConfig {
	c := goopenai.DefaultConfig(s.cfg.apiKey)
	c.BaseURL = s.URL()
	c.HTTPClient = s.srv.Client()
	return c
}

// Client returns a go-openai client built from [Server.ClientConfig].
func (s *Server) Client() *goopenai.Client {
	return goopenai.NewClientWithConfig(s.ClientConfig())
}

func (s *Server) script(route Route) *script {
	sc := s.scripts[route]
	if sc == nil {
		sc = &script{}
		s.scripts[route] = sc
	}
	return sc
}

// Enqueue queues responses for route; each answers one request, in order,
// before the route falls back to its default.
func (s *Server) Enqueue(route Route, responses ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.script(route)
	sc.queue = append(sc.queue, responses...)
}

// SetDefault makes r the answer of route whenever its queue is empty, for any
// number of requests; the zero Response restores the built-in default. The
// response is encoded once, so reusing it is cheap.
func (s *Server) SetDefault(route Route, r Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script(route).def = &r
}

// Pending returns how many queued responses of route have not been served
// yet, so a test can check that its script was used up.
func (s *Server) Pending(route Route) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc := s.scripts[route]; sc != nil {
		return len(sc.queue)
	}
	return 0
}

// Requests returns the requests received so far, oldest first, including those
// answered with an error. The slice is a copy; see [Request] for what it
// shares.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Reset forgets the recorded requests and the queued responses of every
// route. Defaults set with [Server.SetDefault] stay, and ids keep counting.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	for _, sc := range s.scripts {
		sc.queue = nil
	}
}

// next returns the scripted response for route, if any.
func (s *Server) next(route Route) (Response, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.scripts[route]
	switch {
	case sc == nil:
		return Response{}, false
	case len(sc.queue) > 0:
		r := sc.queue[0]
		sc.queue[0] = Response{}
		sc.queue = sc.queue[1:]
		return r, true
	case sc.def != nil:
		return *sc.def, true
	}
	return Response{}, false
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()
}
