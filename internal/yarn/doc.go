// Package yarn holds YARN's records as gostream uses them: application,
// attempt and container ids (with their string forms and parsers),
// resources, local resources, container launch contexts, the states of
// applications, nodes and containers, and their conversions to and from
// the wire (package yarnpb). It talks to nothing: the ResourceManager client
// is package client, the NodeManager client package yarn/nodemanager, the
// scheduler client package am.
//
// Conversions to the wire check what YARN would refuse late or obscurely (a
// relative resource URL, a local resource without its size and modification
// time) and return errors matching ErrInvalidRecord. Conversions from the
// wire accept nil and give zero values, as protobuf getters do.
package yarn
