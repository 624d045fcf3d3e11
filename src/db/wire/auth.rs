//! Authentication decisions: which SASL mechanism to use and with which channel binding, as libpq
//! decides them for `channel_binding=disable|prefer|require`, and the `tls-server-end-point`
//! binding data (RFC 5929: the server certificate hashed with its signature's hash, SHA-256 in
//! place of MD5 and SHA-1). The SCRAM exchange itself is `postgres-protocol`'s. It decides only;
//! it must not read or write the socket.

use postgres_protocol::authentication::sasl::{
    ChannelBinding as ScramBinding, SCRAM_SHA_256, SCRAM_SHA_256_PLUS,
};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use x509_cert::Certificate;
use x509_cert::der::Decode;

use crate::conn::ChannelBinding;

/// The mechanism to answer an AuthenticationSASL with.
pub(super) struct Choice {
    /// `SCRAM-SHA-256` or `SCRAM-SHA-256-PLUS`.
    pub mechanism: &'static str,
    /// The gs2 channel-binding flag and data for the SCRAM exchange.
    pub binding: ScramBinding,
    /// Whether the exchange binds to the TLS channel (SCRAM-SHA-256-PLUS).
    pub bound: bool,
}

/// Picks the mechanism among those the server `offered`. `server_cert` is the TLS server's
/// end-entity certificate (DER) when the session is encrypted. The error is the reason to give up.
pub(super) fn choose(
    offered: &[String],
    server_cert: Option<&[u8]>,
    policy: ChannelBinding,
) -> Result<Choice, String> {
    let plus_offered = offered.iter().any(|m| m == SCRAM_SHA_256_PLUS);
    let plain_offered = offered.iter().any(|m| m == SCRAM_SHA_256);
    let mut can_bind = server_cert.is_some();
    if policy != ChannelBinding::Disable
        && plus_offered
        && let Some(cert) = server_cert
    {
        match end_point_hash(cert) {
            Ok(hash) => {
                return Ok(Choice {
                    mechanism: SCRAM_SHA_256_PLUS,
                    binding: ScramBinding::tls_server_end_point(hash),
                    bound: true,
                });
            }
            Err(why) if policy == ChannelBinding::Require => {
                return Err(format!("channel binding is required, but {why}"));
            }
            Err(why) => {
                tracing::debug!("no channel binding: {why}");
                can_bind = false;
            }
        }
    }
    if policy == ChannelBinding::Require {
        return Err(if server_cert.is_none() {
            "channel binding is required, but the connection is not encrypted (use sslmode \
             require or stronger)"
                .into()
        } else {
            "channel binding is required, but the server did not offer an authentication \
             method that supports channel binding"
                .into()
        });
    }
    if !plain_offered {
        return Err(format!(
            "none of the server's SASL authentication mechanisms are supported ({})",
            offered.join(", ")
        ));
    }
    // RFC 5802: "y" when the client could bind but the server did not offer it (a server that
    // did offer it and sees "y" knows a downgrade happened); "n" when the client cannot or will
    // not.
    let binding = if can_bind && policy != ChannelBinding::Disable && !plus_offered {
        ScramBinding::unrequested()
    } else {
        ScramBinding::unsupported()
    };
    Ok(Choice {
        mechanism: SCRAM_SHA_256,
        binding,
        bound: false,
    })
}

/// The `tls-server-end-point` channel binding data for a certificate.
pub(super) fn end_point_hash(der: &[u8]) -> Result<Vec<u8>, String> {
    let cert = Certificate::from_der(der)
        .map_err(|e| format!("the server certificate cannot be read: {e}"))?;
    let oid = cert.signature_algorithm.oid.to_string();
    let hash = match oid.as_str() {
        // md5WithRSA, sha1WithRSA, ecdsa-with-SHA1, dsa-with-sha1: RFC 5929 says SHA-256.
        "1.2.840.113549.1.1.4"
        | "1.2.840.113549.1.1.5"
        | "1.2.840.10045.4.1"
        | "1.2.840.10040.4.3" => Sha256::digest(der).to_vec(),
        // sha256WithRSA, ecdsa-with-SHA256, dsa-with-sha256.
        "1.2.840.113549.1.1.11" | "1.2.840.10045.4.3.2" | "2.16.840.1.101.3.4.3.2" => {
            Sha256::digest(der).to_vec()
        }
        // sha224WithRSA, ecdsa-with-SHA224.
        "1.2.840.113549.1.1.14" | "1.2.840.10045.4.3.1" => Sha224::digest(der).to_vec(),
        // sha384WithRSA, ecdsa-with-SHA384.
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => Sha384::digest(der).to_vec(),
        // sha512WithRSA, ecdsa-with-SHA512.
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => Sha512::digest(der).to_vec(),
        // RSASSA-PSS, Ed25519 and others have no single hash here; PostgreSQL's server cannot
        // bind to them either.
        other => {
            return Err(format!(
                "the server certificate's signature algorithm ({other}) has no channel binding \
                 hash"
            ));
        }
    };
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn offered(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn without_tls_plain_scram_with_n() {
        let c = choose(&offered(&[SCRAM_SHA_256]), None, ChannelBinding::Prefer).unwrap();
        assert_eq!(c.mechanism, SCRAM_SHA_256);
        assert!(!c.bound);
        let e = choose(&offered(&[SCRAM_SHA_256]), None, ChannelBinding::Require)
            .err()
            .unwrap();
        assert!(e.contains("not encrypted"), "{e}");
        let e = choose(&offered(&["OAUTHBEARER"]), None, ChannelBinding::Prefer)
            .err()
            .unwrap();
        assert!(e.contains("OAUTHBEARER"), "{e}");
    }

    #[test]
    fn an_unreadable_certificate_cannot_bind() {
        let both = offered(&[SCRAM_SHA_256_PLUS, SCRAM_SHA_256]);
        // Prefer falls back to SCRAM-SHA-256 ("n": the server offered PLUS, so "y" would be
        // taken for a downgrade); require gives up.
        let c = choose(&both, Some(b"not a certificate"), ChannelBinding::Prefer).unwrap();
        assert_eq!(c.mechanism, SCRAM_SHA_256);
        assert!(!c.bound);
        assert!(choose(&both, Some(b"junk"), ChannelBinding::Require).is_err());
        // Disable never binds.
        let c = choose(&both, Some(b"junk"), ChannelBinding::Disable).unwrap();
        assert_eq!(c.mechanism, SCRAM_SHA_256);
        // A server without PLUS under require over TLS.
        let e = choose(
            &offered(&[SCRAM_SHA_256]),
            Some(b"x"),
            ChannelBinding::Require,
        )
        .err()
        .unwrap();
        assert!(e.contains("did not offer"), "{e}");
    }

    proptest! {
        #[test]
        fn certificate_bytes_never_panic(der in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = end_point_hash(&der);
        }
    }
}
