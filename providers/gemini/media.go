package gemini

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"path"
	"strings"

	"google.golang.org/genai"
)

// imageMIME lists the image types Gemini takes ("PNG image/png, JPEG
// image/jpeg, WEBP image/webp, HEIC image/heic, HEIF image/heif",
// ai.google.dev/gemini-api/docs/image-understanding#supported-formats), by
// file extension, for URLs that do not say.
var imageMIME = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".webp": "image/webp",
	".heic": "image/heic",
	".heif": "image/heif",
}

// imagePart turns an OpenAI image_url into a Gemini part.
//
// data: URLs become inlineData. http(s) URLs become fileData with the MIME
// type guessed from the path's extension: the Gemini API fetches public and
// signed HTTP(S) URLs given as fileData.fileUri
// (ai.google.dev/gemini-api/docs/file-input-methods, "External URLs"), and
// requires a mimeType with them. A URL whose type cannot be told is refused
// with a clear error rather than guessed, because a wrong mimeType makes
// Gemini fail the whole request.
func imagePart(raw string) (*genai.Part, error) {
	if strings.HasPrefix(raw, "data:") {
		mime, data, err := parseDataURL(raw)
		if err != nil {
			return nil, err
		}
		return &genai.Part{InlineData: &genai.Blob{MIMEType: mime, Data: data}}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("image URL must be a data: URL or an http(s) URL")
	}
	mime, ok := imageMIME[strings.ToLower(path.Ext(u.Path))]
	if !ok {
		return nil, fmt.Errorf("cannot tell the image type of %s://%s%s from its name (want .png, .jpg, .webp, .heic or .heif); send it as a data: URL", u.Scheme, u.Host, u.Path)
	}
	return &genai.Part{FileData: &genai.FileData{FileURI: raw, MIMEType: mime}}, nil
}

// parseDataURL decodes "data:<mime>[;base64],<payload>" (RFC 2397).
func parseDataURL(s string) (mime string, data []byte, err error) {
	meta, payload, ok := strings.Cut(strings.TrimPrefix(s, "data:"), ",")
	if !ok {
		return "", nil, fmt.Errorf("data: URL has no comma")
	}
	params := strings.Split(meta, ";")
	mime = strings.ToLower(strings.TrimSpace(params[0]))
	isB64 := false
	for _, p := range params[1:] {
		if strings.EqualFold(strings.TrimSpace(p), "base64") {
			isB64 = true
		}
	}
	if mime == "" || !strings.Contains(mime, "/") {
		return "", nil, fmt.Errorf("data: URL has no media type")
	}
	if !isB64 {
		text, err := url.PathUnescape(payload)
		if err != nil {
			return "", nil, fmt.Errorf("data: URL payload: %v", err)
		}
		return mime, []byte(text), nil
	}
	payload = strings.TrimRight(strings.TrimSpace(payload), "=")
	data, err = base64.RawStdEncoding.DecodeString(payload)
	if err != nil {
		if d2, err2 := base64.RawURLEncoding.DecodeString(payload); err2 == nil {
			return mime, d2, nil
		}
		return "", nil, fmt.Errorf("data: URL is not valid base64")
	}
	if len(data) == 0 {
		return "", nil, fmt.Errorf("data: URL is empty")
	}
	return mime, data, nil
}
