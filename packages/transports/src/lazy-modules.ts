import type * as GotModule from 'got';
import type * as SoapModule from 'soap';

// got and soap take a tenth of a second or more each to load; a process that never calls an HTTP or SOAP receptor (the
// CLI answering --help, worker-cti, worker-get) should not pay for them at start. Each loads once, on first use.
let got: typeof GotModule | undefined;
let gotLoading: Promise<typeof GotModule> | undefined;
let soapLoading: Promise<typeof SoapModule> | undefined;

/** got, loaded on first use. */
export function loadGot(): Promise<typeof GotModule> {
  gotLoading ??= import('got').then((module) => {
    got = module;
    return module;
  });
  return gotLoading;
}

/** Whether an error is got's TimeoutError (none can exist before got was loaded). */
export function isGotTimeout(error: unknown): error is GotModule.TimeoutError {
  return got !== undefined && error instanceof got.TimeoutError;
}

/** soap, loaded on first use. */
export function loadSoap(): Promise<typeof SoapModule> {
  soapLoading ??= import('soap');
  return soapLoading;
}
