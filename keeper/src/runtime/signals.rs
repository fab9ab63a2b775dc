//! SIGINT and SIGTERM start a graceful shutdown; a second signal exits at once.

use super::shutdown::Stopper;

/// Listens for SIGINT (Ctrl-C) and SIGTERM (service managers, `kill`) in the
/// background. The first fires `stopper`; the second exits the process with
/// status 130, for an operator who will not wait for the drain.
pub fn stop_on_signals(stopper: Stopper) -> std::io::Result<()> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::spawn(async move {
        for round in 0..2 {
            #[cfg(unix)]
            let name = tokio::select! {
                r = tokio::signal::ctrl_c() => { if r.is_err() { return; } "SIGINT" }
                _ = term.recv() => "SIGTERM",
            };
            #[cfg(not(unix))]
            let name = match tokio::signal::ctrl_c().await {
                Ok(()) => "Ctrl-C",
                Err(_) => return,
            };
            if round == 0 {
                tracing::info!("{name} received: stopping duties at their next safe point (again to exit at once)");
                stopper.fire();
            } else {
                tracing::warn!("{name} received again: exiting without waiting");
                std::process::exit(130);
            }
        }
    });
    Ok(())
}
