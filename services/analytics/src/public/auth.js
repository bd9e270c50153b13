// The operator's token: kept in this tab's sessionStorage (gone when the tab closes), sent only as
// an Authorization header, never put in a URL or logged.
import { $ } from "./dom.js";

const TOKEN_KEY = "herald.analytics.operatorToken";
export const auth = { token: sessionStorage.getItem(TOKEN_KEY), stream: undefined };

/** A refusal of the token (401, 403): the dashboard stops and asks for another one. */
export class Refused extends Error {}

export async function reasonOf(response) {
  try {
    const body = await response.json();
    if (typeof body.message === "string") return body.message;
  } catch {}
  return `the server answered ${response.status}`;
}

export async function authorizedFetch(url, init = {}) {
  if (!auth.token) throw new Refused("no token yet");
  const response = await fetch(url, {
    ...init,
    headers: { ...init.headers, authorization: `Bearer ${auth.token}` },
  });
  if (response.status === 401 || response.status === 403) {
    const reason = await reasonOf(response);
    askForToken(response.status === 403 ? `Not allowed: ${reason}.` : `Not signed in: ${reason}.`);
    throw new Refused(reason);
  }
  return response;
}

export async function getJson(url) {
  const response = await authorizedFetch(url, { headers: { accept: "application/json" } });
  if (!response.ok) throw Object.assign(new Error(`${response.status} ${url}`), { status: response.status });
  return response.json();
}

export function askForToken(reason) {
  auth.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  auth.stream?.abort();
  auth.stream = undefined;
  $("live-dot").className = "dot down";
  $("live-text").textContent = "signed out";
  $("sign-out").hidden = true;
  $("login-reason").textContent = reason ?? "";
  $("login-reason").hidden = !reason;
  $("operator-token").value = "";
  const dialog = $("login");
  if (!dialog.open) dialog.showModal();
  $("operator-token").focus();
}

/** Keeps the token and closes the dialog; the caller starts the dashboard. */
export function signIn(token) {
  auth.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("login").close();
  $("sign-out").hidden = false;
}
