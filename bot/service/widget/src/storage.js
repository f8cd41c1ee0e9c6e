// What the widget keeps in localStorage, per Rasa server: the signed session and unsent messages.

export function createStore(namespace) {
  const prefix = `shop-support-chat:${namespace}:`;
  let storage = null;
  try {
    storage = window.localStorage;
    storage.getItem(`${prefix}probe`);
  } catch (error) {
    storage = null; // Storage blocked (private mode, cookies off): the chat still works.
  }
  const memory = new Map();

  function read(key) {
    const raw = storage ? storage.getItem(prefix + key) : memory.get(key);
    if (raw === null || raw === undefined) {
      return null;
    }
    try {
      return JSON.parse(raw);
    } catch (error) {
      return null;
    }
  }

  function write(key, value) {
    const raw = JSON.stringify(value);
    if (storage) {
      try {
        storage.setItem(prefix + key, raw);
        return;
      } catch (error) {
        storage = null;
      }
    }
    memory.set(key, raw);
  }

  function remove(key) {
    if (storage) {
      storage.removeItem(prefix + key);
    }
    memory.delete(key);
  }

  return { read, write, remove };
}
