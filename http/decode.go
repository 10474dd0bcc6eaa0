package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// form is a request body reduced to DRF's view of it: field name → raw value, where a
// JSON body keeps its JSON values and a form body gives strings.
type form struct {
	json   map[string]json.RawMessage
	values map[string]string
}

// parseBody reads a JSON or form-encoded object body. Anything else is a 400 or 415 in
// DRF's words; it never panics on any input.
func parseBody(c *fiber.Ctx) (form, error) {
	ct := c.Get(fiber.HeaderContentType)
	mt, _, _ := mime.ParseMediaType(ct)
	body := c.Body()
	switch {
	case mt == fiber.MIMEApplicationJSON || strings.HasSuffix(mt, "+json") || (mt == "" && len(bytes.TrimSpace(body)) > 0):
		return parseJSONObject(body)
	case mt == "" || mt == fiber.MIMEApplicationForm || mt == fiber.MIMEMultipartForm:
		f := form{values: map[string]string{}}
		if mt == fiber.MIMEMultipartForm {
			mf, err := c.MultipartForm()
			if err != nil {
				return form{}, detail(fiber.StatusBadRequest, "Multipart form parse error - "+err.Error())
			}
			for k, v := range mf.Value {
				if len(v) > 0 {
					f.values[k] = v[0]
				}
			}
			return f, nil
		}
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			if _, seen := f.values[string(k)]; !seen {
				f.values[string(k)] = string(v)
			}
		})
		return f, nil
	default:
		return form{}, detail(fiber.StatusUnsupportedMediaType, `Unsupported media type "`+ct+`" in request.`)
	}
}

func parseJSONObject(body []byte) (form, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return form{json: map[string]json.RawMessage{}}, nil
	}
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return form{}, detail(fiber.StatusBadRequest, "JSON parse error - "+jsonErrText(err))
	}
	if body[0] != '{' {
		kind := "list"
		switch body[0] {
		case '"':
			kind = "str"
		case 't', 'f':
			kind = "bool"
		case 'n':
			kind = "NoneType"
		case '[':
		default:
			kind = "int"
		}
		return form{}, &apiError{status: fiber.StatusBadRequest, body: fieldErrors{
			"non_field_errors": {"Invalid data. Expected a dictionary, but got " + kind + "."},
		}}
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(body, &m); err != nil {
		return form{}, detail(fiber.StatusBadRequest, "JSON parse error - "+jsonErrText(err))
	}
	return form{json: m}, nil
}

func jsonErrText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error() + " (at byte " + strconv.FormatInt(se.Offset, 10) + ")"
	}
	return err.Error()
}

// str returns a field as DRF's CharField would: strings as they are, numbers as their
// text, and a field error for anything else. present is false when the field is absent.
func (f form) str(name string, errs fieldErrors) (value string, present bool) {
	if f.values != nil {
		v, ok := f.values[name]
		return v, ok
	}
	raw, ok := f.json[name]
	if !ok {
		return "", false
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "", false
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			errs.add(name, msgNotString)
			return "", true
		}
		return s, true
	case raw[0] == 'n':
		errs.add(name, msgNull)
		return "", true
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), true
	default:
		errs.add(name, msgNotString)
		return "", true
	}
}

// required reads a mandatory, non-blank string field.
func (f form) required(name string, errs fieldErrors) string {
	before := len(errs[name])
	v, present := f.str(name, errs)
	switch {
	case len(errs[name]) > before:
	case !present:
		errs.add(name, msgRequired)
	case strings.TrimSpace(v) == "":
		errs.add(name, msgBlank)
	}
	return v
}
