// Package ui is the driver's status page in every mode: the page, its JSON
// (/json, Status, whose field names are stable for tools) and the process's
// Prometheus metrics (/metrics). The YARN application master serves it at
// the tracking URL; a driver outside YARN serves it on gostream.ui.port
// (ListenPort tries the next ports when that one is taken, as Spark does).
// Recorder keeps what the page shows of the driver's events.
package ui
