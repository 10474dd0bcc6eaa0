// Package codec is the wire format of Engine.IO v4 and Socket.IO v5 text
// packets, for both ends of the wire: the server in package ws decodes what
// clients send and encodes what it sends with it, and the load generator
// (cmd/presenced-load) speaks the client's side with the same functions
// instead of a second codec.
//
// What codec owns, and what it does not:
//   - Pure encode and decode: no I/O, no goroutines, no state, no time. It
//     knows packet types, the polling payload's record separator, the
//     handshake's open packet, namespaces, ack ids, binary attachment counts
//     and the payload checks the JavaScript parsers make (a CONNECT's payload
//     is an object, an EVENT's a non-empty array led by a number or a
//     non-reserved name, …). What a session does with a packet is ws's.
//   - Allocation-aware: decoders return sub-slices of their input (except a
//     base64 polling packet, decoded into a fresh slice), DecodeSocketPacket
//     splits an array into a caller's slice (a stack array's [:0] decodes
//     without allocating), and the Append functions append to a caller's
//     buffer. CopyArgs is the one copy, for values the caller keeps.
//   - Fuzzed: every decoder has a fuzzer (fuzz_test.go, seed corpora in
//     testdata/fuzz) checking that it never panics and that what it accepts
//     re-encodes to what decodes the same.
//   - Binary Socket.IO packets are decoded (their type and attachment count)
//     but never built: the server does not send binary.
package codec
