// vcpu_thread.h: the per-sandbox thread that runs the vCPU, so KVM_RUN never
// blocks the JavaScript thread. One job at a time; the result goes to
// `on_done` (which posts to JS through a ThreadSafeFunction).
//
// Why not Napi::AsyncWorker: a libuv pool hop per run costs ~21 us here, as
// much as the guest call itself; a dedicated thread that spins briefly for
// its next job, then sleeps, costs a few us (../docs/performance.md).
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include "kvm/kvm_vm.h"

namespace hl {

class VcpuThread {
 public:
  // Called on the vCPU thread with the exit and the `seq` given to submit().
  using Done = std::function<void(const VmExit&, uint64_t seq)>;
  VcpuThread(KvmVm& vm, Done on_done);
  ~VcpuThread();  // stops and joins

  // Starts a run: from fresh registers (fresh=true) or resuming after an I/O exit.
  void submit(bool fresh, uint64_t rip, uint64_t rsp, uint64_t rdi, uint64_t seq);
  // True when no job is queued or running and on_done has returned: only then
  // may the owner go away without joining.
  bool idle() const { return busy_.load() == 0; }
  // Stops the thread and waits for it (use when a run may be in progress).
  void stop();
  // For an idle thread: hands it the VM and its memory to destroy, and returns
  // at once. Closing a VM costs ~300 us here, off the JS thread this way.
  // join() later (finished() says when that no longer blocks).
  void retire(std::unique_ptr<KvmVm> vm, std::shared_ptr<GuestMemory> mem);
  bool finished() const { return finished_.load(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  void main();

  KvmVm& vm_;
  Done on_done_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<int> state_{0};  // 0 idle, 1 job pending, 2 stopping
  bool fresh_ = false;
  uint64_t rip_ = 0, rsp_ = 0, rdi_ = 0, seq_ = 0;
  std::atomic<int> busy_{0};  // jobs submitted and not yet through on_done
  std::unique_ptr<KvmVm> retired_vm_;
  std::shared_ptr<GuestMemory> retired_mem_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

}  // namespace hl
