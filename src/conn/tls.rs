//! TLS for connections: builds the rustls client configuration for a target's sslmode, the way
//! libpq's `initialize_SSL` decides it. `require` encrypts without checking the certificate
//! unless a root certificate file exists (then it checks the chain, as verify-ca); `verify-ca`
//! checks the chain but not the host name; `verify-full` checks both; `sslrootcert=system` uses
//! the operating system's roots. Client certificates and CRLs are loaded here too. It owns
//! certificate policy only and must not open sockets or decide fallbacks (that is `connect`).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime,
};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::target::{ConnTarget, SslMode, TlsVersion};

/// The ring provider, built once. Passed explicitly to every builder so that no process-wide
/// default has to be installed (and no other crate's choice can race with ours).
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// How much of the server certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    /// Nothing: encryption only (libpq `require` without a root certificate file).
    None,
    /// The chain must lead to a trusted root; the name is not checked (verify-ca).
    Chain,
    /// Chain and host name (verify-full).
    Full,
}

/// The checks libpq would make for this target.
pub fn verification(target: &ConnTarget) -> Verification {
    match target.sslmode {
        SslMode::VerifyFull => Verification::Full,
        SslMode::VerifyCa => Verification::Chain,
        // libpq verifies the chain in every mode once a root certificate file is present.
        SslMode::Disable | SslMode::Allow | SslMode::Prefer | SslMode::Require => {
            match &target.sslrootcert {
                Some(path) if target.uses_system_roots() || path.exists() => Verification::Chain,
                _ => Verification::None,
            }
        }
    }
}

/// A connector for tokio-postgres with the target's TLS policy. The error is a readable reason
/// naming the file involved.
pub fn connector(target: &ConnTarget) -> Result<MakeRustlsConnect, String> {
    Ok(MakeRustlsConnect::new(client_config(target)?))
}

/// The rustls client configuration for the target.
pub fn client_config(target: &ConnTarget) -> Result<ClientConfig, String> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match verification(target) {
        Verification::None => Arc::new(NoVerification(provider.clone())),
        mode => {
            let roots = Arc::new(load_roots(target)?);
            let crls = load_crls(target)?;
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .with_crls(crls)
                .build()
                .map_err(|e| format!("could not set up certificate verification: {e}"))?;
            if mode == Verification::Full {
                webpki
            } else {
                Arc::new(ChainOnly(webpki))
            }
        }
    };
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = [
        (TlsVersion::Tls12, &rustls::version::TLS12),
        (TlsVersion::Tls13, &rustls::version::TLS13),
    ]
    .into_iter()
    .filter(|(v, _)| {
        *v >= target.tls_options.min_version
            && target.tls_options.max_version.is_none_or(|m| *v <= m)
    })
    .map(|(_, v)| v)
    .collect();
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| format!("unusable TLS protocol versions: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client_identity(target)? {
        Some((certs, key)) => builder.with_client_auth_cert(certs, key).map_err(|e| {
            let path = target.sslcert.as_deref().unwrap_or(Path::new("")).display();
            let why = match e {
                // OpenSSL accepts X.509 v1 certificates; rustls (webpki) only v3.
                rustls::Error::InvalidCertificate(CertificateError::Other(ref other))
                    if other.to_string().contains("UnsupportedCertVersion") =>
                {
                    "it is an X.509 v1 certificate; pgdeck's TLS library needs v3 (re-issue it \
                     with extensions, e.g. openssl x509 -req ... -extfile with \
                     basicConstraints=CA:FALSE)"
                        .to_owned()
                }
                other => other.to_string(),
            };
            format!("could not use the client certificate \"{path}\": {why}")
        })?,
        None => builder.with_no_client_auth(),
    };
    // PostgreSQL 17 requires ALPN "postgresql" for direct TLS; older servers ignore it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    config.enable_sni = target.tls_options.sni;
    Ok(config)
}

const ROOT_HINT: &str = "either provide the file, use the system's trusted roots with \
                         sslrootcert=system, or change sslmode to disable server certificate \
                         verification";

fn load_roots(target: &ConnTarget) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    if target.uses_system_roots() {
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err(
                "no usable certificates in the system's trust store (sslrootcert=system)"
                    .to_owned(),
            );
        }
        return Ok(roots);
    }
    let Some(path) = &target.sslrootcert else {
        return Err(format!(
            "could not get home directory to locate root certificate file; {ROOT_HINT}"
        ));
    };
    if !path.exists() {
        return Err(format!(
            "root certificate file \"{}\" does not exist; {ROOT_HINT}",
            path.display()
        ));
    }
    let read_err = |e: &dyn std::fmt::Display| {
        format!(
            "could not read root certificate file \"{}\": {e}",
            path.display()
        )
    };
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| read_err(&e))? {
        let cert = cert.map_err(|e| read_err(&e))?;
        roots.add(cert).map_err(|e| read_err(&e))?;
    }
    if roots.is_empty() {
        return Err(read_err(&"no PEM certificates in the file"));
    }
    Ok(roots)
}

fn load_crls(target: &ConnTarget) -> Result<Vec<CertificateRevocationListDer<'static>>, String> {
    // libpq ignores a CRL file that does not exist.
    let Some(path) = target.tls_options.sslcrl.as_deref().filter(|p| p.exists()) else {
        return Ok(Vec::new());
    };
    let read_err = |e: &dyn std::fmt::Display| {
        format!(
            "could not read SSL certificate revocation list file \"{}\": {e}",
            path.display()
        )
    };
    CertificateRevocationListDer::pem_file_iter(path)
        .map_err(|e| read_err(&e))?
        .map(|crl| crl.map_err(|e| read_err(&e)))
        .collect()
}

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The client certificate chain and key, when a certificate file exists (libpq silently goes
/// without one when the file is absent, but a certificate without its key is an error).
fn client_identity(target: &ConnTarget) -> Result<Option<Identity>, String> {
    if !target.tls_options.send_client_cert {
        return Ok(None);
    }
    let Some(cert_path) = target.sslcert.as_deref().filter(|p| p.exists()) else {
        return Ok(None);
    };
    let cert_err = |e: &dyn std::fmt::Display| {
        format!(
            "could not read certificate file \"{}\": {e}",
            cert_path.display()
        )
    };
    let certs = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| cert_err(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_err(&e))?;
    if certs.is_empty() {
        return Err(cert_err(&"no PEM certificates in the file"));
    }
    let key_path = match target.sslkey.as_deref() {
        Some(p) if p.exists() => p,
        Some(p) => {
            return Err(format!(
                "certificate present, but not private key file \"{}\"",
                p.display()
            ));
        }
        None => return Err("certificate present, but no private key file given (sslkey)".into()),
    };
    check_key_permissions(key_path)?;
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| {
        let why = match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "no unencrypted PKCS#8, PKCS#1 or SEC1 private key in the file".to_owned()
            }
            other => other.to_string(),
        };
        format!(
            "could not load private key file \"{}\": {why}",
            key_path.display()
        )
    })?;
    Ok(Some((certs, key)))
}

/// libpq refuses a private key others can read: 0600 or less for the owner, 0640 or less when
/// root owns it.
fn check_key_permissions(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).map_err(|e| {
            format!(
                "could not access private key file \"{}\": {e}",
                path.display()
            )
        })?;
        if !meta.is_file() {
            return Err(format!(
                "private key file \"{}\" is not a regular file",
                path.display()
            ));
        }
        let mode = meta.mode();
        let mine = meta.uid() == nix::unistd::geteuid().as_raw();
        if (mine && mode & 0o077 != 0) || (meta.uid() == 0 && mode & 0o037 != 0) {
            return Err(format!(
                "private key file \"{}\" has group or world access; file must have permissions \
                 u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) \
                 or less if owned by root",
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// `require` without a root certificate: any certificate is accepted, but the handshake
/// signatures are still checked so the session key really belongs to that certificate.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// verify-ca: the full WebPKI check, except that a name mismatch is accepted. WebPKI checks the
/// chain before the name, so a name error means the chain was already found good.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::{ConnParams, Environment, parse_conninfo, resolve};
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn temp_dir() -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pgdeck-tls-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn target(conninfo: &str, home: &Path) -> ConnTarget {
        let mut env = Environment::from_vars(Vec::new(), Some(home.to_owned()), Some("u".into()));
        env.socket_dirs.clear();
        env.system_service_files.clear();
        let params = if conninfo.is_empty() {
            ConnParams::new()
        } else {
            parse_conninfo(conninfo).unwrap()
        };
        resolve(&params, &env).unwrap()
    }

    // A self-signed CA certificate (EC P-256, valid until 2126), made with openssl for these
    // tests; only its public part is here.
    const CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBiDCCAS2gAwIBAgIUedRFc+/gxkogjksoLn1hTJUrEWowCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNcGdkZWNrLXRlc3RjYTAgFw0yNjExMjQxMDM5MzVaGA8yMTI2
MTAzMTEwMzkzNVowGDEWMBQGA1UEAwwNcGdkZWNrLXRlc3RjYTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABOqpO6n115jIZ72HlVFedmOMyowsfSAAj/1ZlWNzMO7O
ETOXTcW7Y4zm1/UDdE40eCH0iw1nMgabiq3Xuv+aPNGjUzBRMB0GA1UdDgQWBBTm
1qVv1Rh+H3kIdqu7vtg9R6koIzAfBgNVHSMEGDAWgBTm1qVv1Rh+H3kIdqu7vtg9
R6koIzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCRnrTbODvG
T3Brx6fyhdJ3SGv0FRWyTGxr7e7HWo7I3wIhAPQ4lmAzh8xNXCd2I9hzdBOv8aRi
GmeTQzq5WCrjV2rL
-----END CERTIFICATE-----
";

    #[test]
    fn modes_map_to_checks() {
        let home = temp_dir();
        assert_eq!(
            verification(&target("sslmode=require", &home)),
            Verification::None
        );
        assert_eq!(
            verification(&target("sslmode=verify-ca", &home)),
            Verification::Chain
        );
        assert_eq!(
            verification(&target("sslmode=verify-full", &home)),
            Verification::Full
        );
        assert_eq!(verification(&target("", &home)), Verification::None);
        // With ~/.postgresql/root.crt present, require (and prefer) check the chain, as libpq.
        std::fs::create_dir_all(home.join(".postgresql")).unwrap();
        std::fs::write(home.join(".postgresql/root.crt"), CA_PEM).unwrap();
        assert_eq!(
            verification(&target("sslmode=require", &home)),
            Verification::Chain
        );
        assert_eq!(verification(&target("", &home)), Verification::Chain);
        assert_eq!(
            verification(&target("sslrootcert=system", &home)),
            Verification::Full
        );
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn missing_root_file_is_named() {
        let home = temp_dir();
        let err = client_config(&target("sslmode=verify-full", &home)).unwrap_err();
        let expected = format!(
            "root certificate file \"{}\" does not exist",
            home.join(".postgresql/root.crt").display()
        );
        assert!(err.starts_with(&expected), "{err}");
        let err = client_config(&target(
            "sslmode=verify-ca sslrootcert=/nonexistent/ca.pem",
            &home,
        ))
        .unwrap_err();
        assert!(
            err.starts_with("root certificate file \"/nonexistent/ca.pem\""),
            "{err}"
        );
        // require with a missing explicit file: no verification, no error (libpq).
        assert!(
            client_config(&target(
                "sslmode=require sslrootcert=/nonexistent/ca.pem",
                &home
            ))
            .is_ok()
        );
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn unreadable_root_file_is_named() {
        let home = temp_dir();
        let ca = home.join("ca.pem");
        std::fs::write(&ca, "not a certificate\n").unwrap();
        let err = client_config(&target(
            &format!("sslmode=verify-ca sslrootcert={}", ca.display()),
            &home,
        ))
        .unwrap_err();
        assert!(err.contains(&ca.display().to_string()), "{err}");
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn certificate_without_key_is_an_error() {
        let home = temp_dir();
        std::fs::create_dir_all(home.join(".postgresql")).unwrap();
        std::fs::write(home.join(".postgresql/postgresql.crt"), CA_PEM).unwrap();
        let err = client_config(&target("sslmode=require", &home)).unwrap_err();
        assert!(
            err.starts_with("certificate present, but not private key file"),
            "{err}"
        );
        // sslcertmode=disable skips the client certificate entirely.
        assert!(client_config(&target("sslmode=require sslcertmode=disable", &home)).is_ok());
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn world_readable_key_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let home = temp_dir();
        let key = home.join("k.pem");
        std::fs::write(&key, "x").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = check_key_permissions(&key).unwrap_err();
        assert!(err.contains("has group or world access"), "{err}");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(check_key_permissions(&key).is_ok());
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn protocol_versions_and_alpn() {
        let home = temp_dir();
        let config = client_config(&target(
            "sslmode=require ssl_min_protocol_version=TLSv1.3",
            &home,
        ))
        .unwrap();
        assert_eq!(config.alpn_protocols, vec![b"postgresql".to_vec()]);
        let config = client_config(&target("sslmode=require sslsni=0", &home)).unwrap();
        assert!(!config.enable_sni);
        std::fs::remove_dir_all(&home).unwrap();
    }
}
