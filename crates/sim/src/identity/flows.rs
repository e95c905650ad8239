//! State of the interactive flows: device codes, authorization codes, refresh tokens.

use std::collections::HashMap;

use time::OffsetDateTime;

/// What happened to a device code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceCodeState {
    /// Waiting for the user.
    Pending,
    /// The user (by index) signed in and approved.
    Approved(usize),
    /// The user declined.
    Declined,
    /// Tokens were issued; the code is spent.
    Redeemed,
}

/// A device authorization in progress.
#[derive(Debug, Clone)]
pub struct DeviceCode {
    /// The code the user types.
    pub user_code: String,
    /// The client that asked.
    pub client_id: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// When the codes stop working.
    pub expires: OffsetDateTime,
    /// Where it stands.
    pub state: DeviceCodeState,
}

/// An authorization code handed to a redirect URI.
#[derive(Debug, Clone)]
pub struct AuthCode {
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI used at the authorize endpoint.
    pub redirect_uri: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// The signed-in user.
    pub user: usize,
    /// The PKCE challenge and its method.
    pub challenge: Option<(String, String)>,
    /// When the code expires (10 minutes).
    pub expires: OffsetDateTime,
    /// Whether it was used.
    pub redeemed: bool,
}

/// A refresh token.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    /// The client it was issued to.
    pub client_id: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// The user.
    pub user: usize,
    /// When it expires (90 days of inactivity).
    pub expires: OffsetDateTime,
}

/// All flows in progress, by their secret codes.
#[derive(Debug, Default)]
pub struct Flows {
    /// By device code.
    pub device_codes: HashMap<String, DeviceCode>,
    /// By authorization code.
    pub auth_codes: HashMap<String, AuthCode>,
    /// By refresh token.
    pub refresh_tokens: HashMap<String, RefreshGrant>,
}

impl Flows {
    /// The device code whose user code is `user_code` (case-insensitive, as the sign-in page accepts it).
    pub fn by_user_code(&mut self, user_code: &str) -> Option<&mut DeviceCode> {
        let wanted = user_code.trim().to_ascii_uppercase();
        self.device_codes
            .values_mut()
            .find(|d| d.user_code == wanted)
    }
}

/// A random opaque code of `len` URL-safe characters.
pub fn random_code(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A user code as Entra ID shows them: 9 upper-case letters and digits.
pub fn user_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..9)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
