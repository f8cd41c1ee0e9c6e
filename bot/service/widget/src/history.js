// Asks the bot service for the messages of this chat so far (proved by the signed session).

export class HistoryError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export async function fetchHistory(serviceUrl, session) {
  let response;
  try {
    response = await fetch(`${serviceUrl}/widget/history`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session }),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new HistoryError("The earlier messages of this chat can't be loaded just now.", 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    body = null;
  }
  if (!response.ok || !body || !Array.isArray(body.messages)) {
    const message = body && typeof body.error === "string" ? body.error : "";
    throw new HistoryError(
      message || "The earlier messages of this chat can't be loaded just now.",
      response.status,
    );
  }
  return body.messages;
}
