/**
 * Envelope flags of the web protocols beyond the compressed bit, shared by
 * their server wires and the client's response decoder.
 */

/** gRPC-Web: the frame holds the trailers (HTTP/1-style header lines), not a message. */
export const flagTrailer = 0x80;

/** Connect streaming: the frame is the end-of-stream JSON (status, error, trailers). */
export const flagEndStream = 0x02;
