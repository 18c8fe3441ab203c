package pricing

import (
	"errors"
	"fmt"
	"math"
)

// tokensPerUnit is the number of tokens (or characters) every price is
// quoted for.
const tokensPerUnit = 1_000_000

// Price is what one model costs, in US dollars per 1M tokens unless a
// field says otherwise.
//
// Audio and image rates are for models that bill those tokens apart from
// text (gpt-realtime, gpt-4o-audio-preview, the transcription models,
// gpt-image-1); a zero audio or image rate means the model does not, and
// those tokens are billed at the text rates. PerMinute and
// PerMillionCharacters price the models billed by audio duration
// (whisper-1) or by input characters (tts-1).
//
// The zero value is a valid price of zero for everything (as for the free
// moderation models). A Price is a plain value, safe to copy, compare and
// share.
type Price struct {
	// Input is the price of a text input token not served from the prompt
	// cache.
	Input float64

	// CachedInput is the price of a text input token served from OpenAI's
	// prompt cache. It counts only when HasCachedInput is true.
	CachedInput float64

	// HasCachedInput reports whether the model has its own cached-input
	// price. When false, cached tokens are billed at Input, as OpenAI does
	// for models without a caching discount. It is a separate flag rather
	// than a zero CachedInput so that a free cached price stays
	// expressible.
	HasCachedInput bool

	// Output is the price of a text output token, reasoning tokens
	// included.
	Output float64

	// AudioInput, CachedAudioInput and AudioOutput are the prices of audio
	// tokens. A zero CachedAudioInput bills cached audio at AudioInput.
	AudioInput, CachedAudioInput, AudioOutput float64

	// ImageInput, CachedImageInput and ImageOutput are the prices of image
	// tokens. A zero CachedImageInput bills cached image tokens at
	// ImageInput.
	ImageInput, CachedImageInput, ImageOutput float64

	// PerMinute is the price of a minute of audio, for models billed by
	// duration.
	PerMinute float64

	// PerMillionCharacters is the price of 1M characters of input, for
	// models billed by characters.
	PerMillionCharacters float64
}

// Usage is what one call used, as OpenAI reports it. Counts below zero
// are treated as zero, and each subset is capped at its total, because a
// malformed usage must not yield a negative or inflated cost.
//
// The zero value is no usage, which costs nothing.
type Usage struct {
	// InputTokens is every input (prompt) token: text, audio and image,
	// cached or not.
	InputTokens int
	// CachedInputTokens is the part of InputTokens served from the prompt
	// cache, of every modality.
	CachedInputTokens int
	// OutputTokens is every output (completion) token, reasoning tokens
	// included (they are billed as output).
	OutputTokens int

	// AudioInputTokens and ImageInputTokens are the parts of InputTokens
	// that are audio and image; CachedAudioInputTokens and
	// CachedImageInputTokens the parts of CachedInputTokens that are.
	AudioInputTokens, CachedAudioInputTokens int
	ImageInputTokens, CachedImageInputTokens int

	// AudioOutputTokens and ImageOutputTokens are the parts of
	// OutputTokens that are audio and image.
	AudioOutputTokens, ImageOutputTokens int

	// AudioSeconds is the duration of the audio, for models billed per
	// minute.
	AudioSeconds float64
	// Characters is the number of input characters, for models billed per
	// character.
	Characters int
}

// CachedInputRate returns the price per 1M cached text input tokens:
// CachedInput when the model has one, Input otherwise.
func (p Price) CachedInputRate() float64 {
	if p.HasCachedInput {
		return p.CachedInput
	}
	return p.Input
}

// Cost returns the cost in US dollars of a call that used u:
//
//	text input (uncached × Input + cached × cached rate)
//	+ audio input (uncached × AudioInput + cached × CachedAudioInput)
//	+ image input (likewise) + text, audio and image output at their rates
//	+ minutes × PerMinute + characters × PerMillionCharacters / 1M
//
// where the text parts are the totals less their audio and image parts,
// and a modality the model does not price apart is billed at the text
// rates.
func (p Price) Cost(u Usage) float64 {
	in := max(u.InputTokens, 0)
	cached := clamp(u.CachedInputTokens, in)
	audioIn := clamp(u.AudioInputTokens, in)
	imageIn := clamp(u.ImageInputTokens, in-audioIn)
	cachedAudio := clamp(u.CachedAudioInputTokens, min(audioIn, cached))
	cachedImage := clamp(u.CachedImageInputTokens, min(imageIn, cached-cachedAudio))
	out := max(u.OutputTokens, 0)
	audioOut := clamp(u.AudioOutputTokens, out)
	imageOut := clamp(u.ImageOutputTokens, out-audioOut)

	// Tokens of a modality without its own rate are billed as text.
	if p.AudioInput == 0 {
		audioIn, cachedAudio = 0, 0
	}
	if p.ImageInput == 0 {
		imageIn, cachedImage = 0, 0
	}
	if p.AudioOutput == 0 {
		audioOut = 0
	}
	if p.ImageOutput == 0 {
		imageOut = 0
	}
	textIn := in - audioIn - imageIn
	textCached := min(max(cached-cachedAudio-cachedImage, 0), textIn)

	dollars := float64(textIn-textCached)*p.Input + float64(textCached)*p.CachedInputRate() +
		float64(audioIn-cachedAudio)*p.AudioInput + float64(cachedAudio)*orRate(p.CachedAudioInput, p.AudioInput) +
		float64(imageIn-cachedImage)*p.ImageInput + float64(cachedImage)*orRate(p.CachedImageInput, p.ImageInput) +
		float64(out-audioOut-imageOut)*p.Output + float64(audioOut)*p.AudioOutput + float64(imageOut)*p.ImageOutput +
		float64(max(u.Characters, 0))*p.PerMillionCharacters
	dollars /= tokensPerUnit
	if s := u.AudioSeconds; s > 0 && !math.IsInf(s, 0) {
		dollars += s / 60 * p.PerMinute
	}
	return dollars
}

// clamp returns n within [0, limit].
func clamp(n, limit int) int { return min(max(n, 0), max(limit, 0)) }

// orRate returns rate, or fallback when rate is zero.
func orRate(rate, fallback float64) float64 {
	if rate == 0 {
		return fallback
	}
	return rate
}

// check reports why p cannot be used as a price, without naming the model.
func (p Price) check() error {
	for _, f := range [...]struct {
		name string
		v    float64
	}{
		{"input", p.Input}, {"cached input", p.CachedInput}, {"output", p.Output},
		{"audio input", p.AudioInput}, {"cached audio input", p.CachedAudioInput}, {"audio output", p.AudioOutput},
		{"image input", p.ImageInput}, {"cached image input", p.CachedImageInput}, {"image output", p.ImageOutput},
		{"per-minute", p.PerMinute}, {"per-character", p.PerMillionCharacters},
	} {
		switch {
		case math.IsNaN(f.v) || math.IsInf(f.v, 0):
			return fmt.Errorf("%s price %v is not a finite number", f.name, f.v)
		case f.v < 0:
			return fmt.Errorf("%s price %v is negative", f.name, f.v)
		}
	}
	if !p.HasCachedInput && p.CachedInput != 0 {
		// Without the flag the value would be silently ignored.
		return errors.New("cached input price set without HasCachedInput")
	}
	return nil
}
