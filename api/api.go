// Package api holds envhost's HTTP API description: the OpenAPI 3 document
// that `envhost serve` implements and serves at GET /openapi.yaml.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3 document (YAML) of the HTTP API served by
// `envhost serve` (package httpapi).
//
//go:embed openapi.yaml
var OpenAPI []byte
