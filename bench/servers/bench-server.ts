/** What every bench server implementation returns: a listening server. */
export interface BenchServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface BenchServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Response payload size for the raw bound, which does not read requests.
   * The real servers ignore it and answer `response_size` from each request.
   */
  rawResponseSize: number;
}
