// Package httpapi serves envhost's environments over HTTP/JSON, for agent
// runners written in other languages: create an environment from a config,
// drive it (communicate, execute, files, env variables, interrupt, reset,
// restarts), stream its events (Server-Sent Events) and close it.
//
// Every request must carry "Authorization: Bearer <token>". Errors are JSON
// objects {"error":{"class":"not_found","message":"..."}} whose HTTP status
// follows the sdk error class. The API is described by api/openapi.yaml,
// served at GET /openapi.yaml.
package httpapi
