import type { MissingSoapWrapper } from './soap-wrapper-check';

/** One SET push as the engine hands it to a transport. */
export interface TransportRequest {
  /**
   * integracao.link: for SOAP the WSDL path appended to connection.baseUrl
   * (e.g. '/g5-senior-services/sapiens_Synccom_senior_g5_co_ger_cad_clientes?wsdl');
   * for REST the path, optionally prefixed by an HTTP method ('PUT /clientes/1'), default POST.
   */
  link: string;
  /** integracao.porta_ws: the SOAP operation (e.g. 'GravarClientes'); unused for REST. */
  operation: string | null;
  /** The mapped request: for SOAP the `parameters` object (the transport adds user/password/encryption from the connection); for REST the JSON body. */
  body: Record<string, unknown>;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** What went over the wire, for the integration log. Secrets are already replaced by [REDACTED]. */
export interface TransportExchange {
  /** The URL as shown (shownUrl: query values masked, no userinfo): what attempt rows, logs and messages may hold. */
  url: string;
  request: string;
  /** The raw response body; null when none arrived. */
  response: string | null;
  statusCode: number | null;
  durationMs: number;
}

export interface TransportResult {
  /** SOAP: the operation output's `result` (the whole output when it has none), as parsed by soap; REST: the parsed JSON (text when not JSON, null when empty). */
  data: unknown;
  exchange: TransportExchange;
  /**
   * Masks the connection's secrets (`***`) inside a text made from `data` that the hub keeps or shows (a business
   * error's message): `data` itself keeps its text, a value that only equals a secret is `***` already.
   */
  maskText?: (text: string) => string;
}

/** What a preview shows of one request. */
export interface TransportPreview {
  url: string;
  request: string;
  /** SOAP only: the mapped fields sit at the top of `parameters` while the WSDL expects them inside this element. */
  missingWrapper?: MissingSoapWrapper;
}

/** Sends SET requests to one connection. Create one per connection and reuse it; close() releases its sockets. */
export interface Transport {
  send(request: TransportRequest): Promise<TransportResult>;
  /**
   * The exact request send() would make, with secrets redacted (the URL as shownUrl gives it), without sending it. A SOAP
   * mapping whose fields belong inside an element of the WSDL's (its wrapper) says which (`missingWrapper`).
   */
  preview(request: TransportRequest): Promise<TransportPreview>;
  /**
   * SOAP only: the elements the WSDL's operation expects in `parameters` (node-soap's describe() of its input), or
   * undefined when the operation has none; loads the WSDL (config lint checks a mapping's shape against it).
   */
  describeParameters?(link: string, operation: string): Promise<Record<string, unknown> | undefined>;
  close?(): Promise<void>;
  /**
   * True for a receptor that creates a row on every request (a database receptor's plain INSERT): a key in the body
   * (cgcCpf, codCli, ideExt: Senior G5's upsert) does not make sending it again safe there.
   */
  readonly resendMayDuplicate?: boolean;
}
