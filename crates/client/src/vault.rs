//! Where the device token lives (D4): the OS keyring, or — when there is none, or the caller
//! asks for it (tests, the dev bridge) — this process's memory, for this run only.

use std::sync::Mutex;

use stint_api::desk::TokenStorage;

const SERVICE: &str = "dev.stint.desktop";

pub struct TokenVault {
    /// The keyring entry's user name: the device id, so several stores on one machine do not
    /// share a token.
    account: Mutex<String>,
    use_keyring: bool,
    memory: Mutex<Option<String>>,
    storage: Mutex<TokenStorage>,
}

impl TokenVault {
    pub fn new(account: String, use_keyring: bool) -> TokenVault {
        let storage = if use_keyring {
            TokenStorage::Keyring
        } else {
            TokenStorage::Memory
        };
        TokenVault {
            account: Mutex::new(account),
            use_keyring,
            memory: Mutex::new(None),
            storage: Mutex::new(storage),
        }
    }

    pub fn storage(&self) -> TokenStorage {
        *self.storage.lock().expect("vault lock")
    }

    pub fn load(&self) -> Option<String> {
        if let Some(token) = self.memory.lock().expect("vault lock").clone() {
            return Some(token);
        }
        if !self.use_keyring {
            return None;
        }
        match self.entry().and_then(|entry| entry.get_password()) {
            Ok(token) => {
                *self.memory.lock().expect("vault lock") = Some(token.clone());
                Some(token)
            }
            Err(keyring::Error::NoEntry) => None,
            Err(error) => {
                tracing::warn!(%error, "reading the token from the keyring failed");
                None
            }
        }
    }

    /// Saves the token, in the keyring when it works; says where it went.
    pub fn save(&self, token: &str) -> TokenStorage {
        *self.memory.lock().expect("vault lock") = Some(token.to_string());
        let storage = if !self.use_keyring {
            TokenStorage::Memory
        } else {
            match self.entry().and_then(|entry| entry.set_password(token)) {
                Ok(()) => TokenStorage::Keyring,
                Err(error) => {
                    tracing::warn!(%error, "no keyring: keeping the token in memory for this run");
                    TokenStorage::Memory
                }
            }
        };
        *self.storage.lock().expect("vault lock") = storage;
        storage
    }

    pub fn delete(&self) {
        *self.memory.lock().expect("vault lock") = None;
        if self.use_keyring {
            match self.entry().and_then(|entry| entry.delete_credential()) {
                Ok(()) | Err(keyring::Error::NoEntry) => {}
                Err(error) => tracing::warn!(%error, "removing the token from the keyring failed"),
            }
        }
    }

    /// Follows a new device id (see `LocalStore::set_device_id`).
    pub fn set_account(&self, account: String) {
        *self.account.lock().expect("vault lock") = account;
    }

    fn entry(&self) -> keyring::Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, &self.account.lock().expect("vault lock"))
    }
}
