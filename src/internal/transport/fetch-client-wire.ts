import type { Metadata } from "../../metadata/metadata.js";
import { Code } from "../../status/code.js";
import { RpcError } from "../../status/rpc-error.js";
import { encodeBase64 } from "../base64.js";
import { encodeFrame } from "../web/frame-reader.js";
import { WebResponseDecoder, type WebProtocol } from "../web/response-decoder.js";
import type { ClientWire, ClientWireSink } from "./client-wire.js";

/** One request as the fetch wire sends it. */
export interface FetchWireRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly fetch: typeof globalThis.fetch;
  readonly credentials: RequestCredentials | undefined;
  /** Send a Connect unary request as GET, the message in the query, in this encoding (`proto`, `json`). */
  readonly getEncoding?: string;
}

/**
 * gRPC-Web or Connect over the Fetch API, client side: for browsers, and
 * any runtime with `fetch`. Fetch sends a request body whole, so the
 * request is one message (`sendLast`); the response streams. The wire
 * imports nothing from Node.
 */
export class FetchClientWire implements ClientWire {
  readonly #request: FetchWireRequest;
  readonly #protocol: WebProtocol;
  readonly #maxReceiveBytes: number;
  readonly #abort = new AbortController();
  #decoder: WebResponseDecoder | undefined;
  #sink: ClientWireSink | undefined;
  #sent = false;
  #done = false;
  #paused: Promise<void> | undefined;
  #resume: (() => void) | undefined;

  constructor(request: FetchWireRequest, protocol: WebProtocol, maxReceiveBytes: number) {
    this.#request = request;
    this.#protocol = protocol;
    this.#maxReceiveBytes = maxReceiveBytes;
  }

  start(sink: ClientWireSink): void {
    this.#sink = sink;
    // fetch undoes the HTTP content-encoding itself: what reaches the decoder is decoded.
    this.#decoder = new WebResponseDecoder(this.#protocol, sink, this.#maxReceiveBytes, true);
  }

  send(): Promise<void> | undefined {
    // Never used: transports over fetch refuse request streams before a call starts.
    return undefined;
  }

  sendLast(payload: Uint8Array, compressed: boolean): void {
    if (this.#sent) return;
    this.#sent = true;
    const body = this.#protocol === "connect-unary" ? payload : encodeFrame(payload, compressed ? 1 : 0);
    void this.#run(body);
  }

  closeSend(): void {}

  get sendClosed(): boolean {
    return this.#sent;
  }

  cancel(): void {
    this.#abort.abort();
  }

  finished(): void {
    this.#done = true;
    this.#resume?.();
    // Whatever is left of the response is not needed any more.
    this.#abort.abort();
  }

  pause(): void {
    this.#paused ??= new Promise((resolve) => (this.#resume = resolve));
  }

  resume(): void {
    const r = this.#resume;
    this.#paused = this.#resume = undefined;
    r?.();
  }

  header(): Metadata {
    return this.#decoder!.header();
  }

  trailer(): Metadata {
    return this.#decoder!.trailer();
  }

  async #run(body: Uint8Array): Promise<void> {
    const r = this.#request;
    const decoder = this.#decoder!;
    let url = r.url;
    const init: RequestInit = { method: "POST", headers: r.headers, body: body as BodyInit, signal: this.#abort.signal, redirect: "error" };
    if (r.credentials) init.credentials = r.credentials;
    if (r.getEncoding !== undefined) {
      init.method = "GET";
      delete init.body;
      const headers = { ...r.headers };
      delete headers["content-type"];
      init.headers = headers;
      url += `?connect=v1&encoding=${r.getEncoding}&base64=1&message=${encodeBase64(body, false).replace(/\+/g, "-").replace(/\//g, "_")}`;
    }
    let response: Response;
    try {
      response = await r.fetch(url, init);
    } catch (e) {
      if (!this.#done) this.#sink!.failed(new RpcError(Code.UNAVAILABLE, `the request failed: ${(e as Error).message}`, { cause: e }));
      return;
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    decoder.head(response.status, headers);
    const reader = response.body?.getReader();
    try {
      while (reader && !decoder.done && !this.#done) {
        if (this.#paused) await this.#paused;
        const { done, value } = await reader.read();
        if (done) break;
        decoder.body(value);
      }
      if (!this.#done) decoder.end();
    } catch (e) {
      if (!this.#done && !decoder.done) this.#sink!.failed(new RpcError(Code.UNAVAILABLE, `the response was cut off: ${(e as Error).message}`, { cause: e }));
    } finally {
      if (decoder.done || this.#done) reader?.cancel().catch(() => undefined);
    }
  }
}
