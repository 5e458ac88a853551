package httpapi

import (
	"errors"
	"net/http"

	"github.com/envhost/envhost/sdk"
)

// Error classes as they appear in the "class" field of error responses.
const (
	ClassNotFound           = "not_found"
	ClassInvalidArgument    = "invalid_argument"
	ClassAlreadyExists      = "already_exists"
	ClassFailedPrecondition = "failed_precondition"
	ClassUnavailable        = "unavailable"
	ClassDeadlineExceeded   = "deadline_exceeded"
	ClassCanceled           = "canceled"
	ClassUnimplemented      = "unimplemented"
	ClassUnauthenticated    = "unauthenticated"
	ClassTooLarge           = "too_large"
	ClassInternal           = "internal"
)

// StatusClientClosedRequest is the status of a request whose client went
// away (nginx's 499); no client reads it, but it shows in logs.
const StatusClientClosedRequest = 499

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the "error" object of an error response. Output carries
// what a command printed before it failed (a timeout, a raised check).
type ErrorDetail struct {
	Class   string `json:"class"`
	Message string `json:"message"`
	Output  string `json:"output,omitempty"`
}

// apiError is an error raised by the server itself with an explicit class
// and status (bad JSON, missing token, body too large).
type apiError struct {
	status int
	class  string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func newAPIError(status int, class, msg string) error {
	return &apiError{status: status, class: class, msg: msg}
}

// outputCarrier is an error that knows the output produced before it.
type outputCarrier interface{ PartialOutput() string }

// classify maps err to its HTTP status and class name, following the sdk
// error classes.
func classify(err error) (int, string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status, ae.class
	}
	switch sdk.Class(err) {
	case sdk.ErrNotFound:
		return http.StatusNotFound, ClassNotFound
	case sdk.ErrInvalidArgument:
		return http.StatusBadRequest, ClassInvalidArgument
	case sdk.ErrAlreadyExists:
		return http.StatusConflict, ClassAlreadyExists
	case sdk.ErrFailedPrecondition:
		return http.StatusConflict, ClassFailedPrecondition
	case sdk.ErrUnavailable:
		return http.StatusServiceUnavailable, ClassUnavailable
	case sdk.ErrDeadlineExceeded:
		return http.StatusGatewayTimeout, ClassDeadlineExceeded
	case sdk.ErrCanceled:
		return StatusClientClosedRequest, ClassCanceled
	case sdk.ErrUnimplemented:
		return http.StatusNotImplemented, ClassUnimplemented
	}
	return http.StatusInternalServerError, ClassInternal
}

// errorBody builds the JSON body for err.
func errorBody(err error) (int, ErrorBody) {
	status, class := classify(err)
	body := ErrorBody{Error: ErrorDetail{Class: class, Message: err.Error()}}
	var oc outputCarrier
	if errors.As(err, &oc) {
		body.Error.Output = oc.PartialOutput()
	}
	return status, body
}
