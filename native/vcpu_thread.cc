// vcpu_thread.cc: job hand-off between the JS thread and the vCPU thread.
#include "vcpu_thread.h"

#include <chrono>
#include <immintrin.h>

namespace hl {

namespace {
// Spin this long for the next job before sleeping: a resume after a host call
// usually arrives within a few microseconds, and waking a sleeping thread
// costs 3-10 us on these machines.
constexpr auto kSpin = std::chrono::microseconds(50);
}  // namespace

VcpuThread::VcpuThread(KvmVm& vm, Done on_done) : vm_(vm), on_done_(std::move(on_done)) {
  thread_ = std::thread([this] { main(); });
  vm_.set_runner_thread(thread_.native_handle());
}

VcpuThread::~VcpuThread() {
  if (retired_vm_ || finished_.load()) join();
  else stop();
}

void VcpuThread::retire(std::unique_ptr<KvmVm> vm, std::shared_ptr<GuestMemory> mem) {
  vm->clear_runner_thread();
  {
    std::lock_guard<std::mutex> lock(mu_);
    retired_vm_ = std::move(vm);
    retired_mem_ = std::move(mem);
    state_.store(2);
  }
  cv_.notify_one();
}

void VcpuThread::submit(bool fresh, uint64_t rip, uint64_t rsp, uint64_t rdi, uint64_t seq) {
  busy_.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    seq_ = seq;
    fresh_ = fresh;
    rip_ = rip;
    rsp_ = rsp;
    rdi_ = rdi;
    state_.store(1);
  }
  cv_.notify_one();
}

void VcpuThread::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_.store(2);
  }
  vm_.request_cancel();  // kicks a KVM_RUN in progress; later ones see immediate_exit
  vm_.clear_runner_thread();  // no pthread_kill after this, from any thread
  cv_.notify_one();
  thread_.join();
}

void VcpuThread::main() {
  for (;;) {
    auto until = std::chrono::steady_clock::now() + kSpin;
    while (state_.load() == 0 && std::chrono::steady_clock::now() < until) _mm_pause();
    bool fresh;
    uint64_t rip, rsp, rdi, seq;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return state_.load() != 0; });
      if (state_.load() == 2) {
        retired_vm_.reset();  // close the VM fds before unmapping its memory
        retired_mem_.reset();
        finished_.store(true);
        return;
      }
      fresh = fresh_;
      rip = rip_;
      rsp = rsp_;
      rdi = rdi_;
      seq = seq_;
      state_.store(0);
    }
    VmExit e = fresh ? vm_.run_from(rip, rsp, rdi) : vm_.resume();
    on_done_(e, seq);
    busy_.fetch_sub(1);
  }
}

}  // namespace hl
