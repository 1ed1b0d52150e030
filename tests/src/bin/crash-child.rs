//! Child process of the crash test: starts a timer through `Desk`, reports the start instant
//! once the start is acknowledged, then waits to be SIGKILLed.

use std::io::Write;
use std::path::PathBuf;

use stint_api::rest::Task;

fn main() -> anyhow::Result<()> {
    let data_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: crash-child DATA_DIR"),
    );
    let task: Task = serde_json::from_str(&std::env::args().nth(2).expect("task JSON"))?;
    let desk = stint_tests::open_desk(&data_dir, "crash test");
    desk.store().save_tasks(std::slice::from_ref(&task))?;
    let timer = desk.start_work(task.id)?;
    println!("STARTED {}", timer.started_at.to_rfc3339());
    std::io::stdout().flush()?;
    loop {
        std::thread::park();
    }
}
