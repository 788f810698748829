// The worklist API as the page uses it: the bearer token, JSON in and out, errors in words.

const TOKEN_KEY = "spinetriage.token";

export class Unauthorized extends Error {}

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

// A token in the address (#token=...) is kept for next time and taken out of the address bar,
// so it is neither bookmarked nor shown on the reading-room screen.
export function takeTokenFromAddress() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const token = params.get("token");
  if (token) {
    localStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
}

export class Api {
  get token() {
    return localStorage.getItem(TOKEN_KEY) || "";
  }

  set token(value) {
    localStorage.setItem(TOKEN_KEY, value);
  }

  headers(extra = {}) {
    const headers = { ...extra };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    return headers;
  }

  async json(path, options = {}) {
    const response = await fetch(path, {
      ...options,
      headers: this.headers(options.headers),
      cache: "no-store",
    });
    if (response.status === 401) throw new Unauthorized("a valid token is needed");
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new ApiError(response.status, body.detail || `${response.status} ${response.statusText}`);
    }
    return body;
  }

  worklist() {
    return this.json("/api/v1/worklist");
  }

  act(uid, action, body) {
    return this.json(`/api/v1/studies/${encodeURIComponent(uid)}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  async keyImage(uid, index) {
    const path = `/api/v1/studies/${encodeURIComponent(uid)}/key-images/${index}`;
    const response = await fetch(path, { headers: this.headers(), cache: "no-store" });
    if (response.status === 401) throw new Unauthorized("a valid token is needed");
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new ApiError(response.status, body.detail || "no key image");
    }
    return response.blob();
  }
}
