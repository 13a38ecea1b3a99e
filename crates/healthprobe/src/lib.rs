//! A container health probe with no dependencies beyond `std`, so a distroless image (no shell, no curl) can have a
//! `HEALTHCHECK`: `healthprobe [URL]` exits 0 when the URL answers 2xx within the timeout, 1 otherwise.
//!
//! Without an argument it probes `/healthz` on the port of `BIND_ADDR` (the address the service itself binds), so
//! one image-level `HEALTHCHECK CMD ["/usr/local/bin/healthprobe"]` fits every service.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// What is probed: a plain-HTTP `host:port` and a path.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    pub authority: String,
    pub path: String,
}

impl Target {
    /// Parses `http://host:port/path` (https is out of scope: the probe runs beside the process it checks).
    pub fn from_url(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("probe url {url:?} must start with http://"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(format!("probe url {url:?} has no host"));
        }
        let authority = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        Ok(Self {
            authority,
            path: path.to_owned(),
        })
    }

    /// `/healthz` on loopback at the port of a `BIND_ADDR` such as `0.0.0.0:8081`.
    pub fn from_bind_addr(bind: &str) -> Result<Self, String> {
        let port = bind
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse::<u16>().ok())
            .ok_or_else(|| format!("BIND_ADDR {bind:?} has no port"))?;
        Ok(Self {
            authority: format!("127.0.0.1:{port}"),
            path: "/healthz".to_owned(),
        })
    }
}

/// Sends `GET path` and returns the status code of the answer.
pub fn probe(target: &Target, timeout: Duration) -> Result<u16, String> {
    let addr = target
        .authority
        .to_socket_addrs()
        .map_err(|err| format!("{}: {err}", target.authority))?
        .next()
        .ok_or_else(|| format!("{}: no address", target.authority))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|err| format!("{addr}: {err}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|err| err.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|err| err.to_string())?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: healthprobe\r\n\r\n",
        target.path, target.authority
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|err| format!("{addr}: {err}"))?;
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        let Some(rest) = head.get_mut(read..) else {
            break;
        };
        match stream.read(rest) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(err) => return Err(format!("{addr}: {err}")),
        }
    }
    let line = String::from_utf8_lossy(head.get(..read).unwrap_or_default());
    line.strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{addr}: not an HTTP answer: {line:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve_once(answer: &'static str) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let n = conn.read(&mut buf).unwrap();
            assert!(String::from_utf8_lossy(&buf[..n]).starts_with("GET /healthz HTTP/1.1\r\n"));
            conn.write_all(answer.as_bytes()).unwrap();
        });
        port
    }

    #[test]
    fn reads_the_status_of_the_answer() {
        let port = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        let target = Target::from_url(&format!("http://127.0.0.1:{port}/healthz")).unwrap();
        assert_eq!(probe(&target, Duration::from_secs(2)), Ok(200));

        let port = serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        let target = Target::from_bind_addr(&format!("0.0.0.0:{port}")).unwrap();
        assert_eq!(probe(&target, Duration::from_secs(2)), Ok(503));
    }

    #[test]
    fn a_closed_port_or_a_bad_url_is_an_error() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let target = Target::from_url(&format!("http://127.0.0.1:{port}/")).unwrap();
        assert!(probe(&target, Duration::from_secs(2)).is_err());
        assert!(Target::from_url("https://x/healthz").is_err());
        assert!(Target::from_bind_addr("0.0.0.0").is_err());
        assert_eq!(
            Target::from_url("http://svc/readyz").unwrap(),
            Target {
                authority: "svc:80".into(),
                path: "/readyz".into()
            }
        );
    }
}
