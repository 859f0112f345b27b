// kvm_sampling.cc: the sampling profiler's mechanism. A ticker thread kicks
// the vCPU out of KVM_RUN (the cancel signal, without a cancel); the vCPU
// thread reads the guest's registers, walks its frame-pointer chain in guest
// memory and runs on. The guest is not changed. Symbols, folding and flame
// graphs are policy, in TypeScript (src/sandbox/profile.ts).
#include <sys/ioctl.h>
#include <chrono>
#include <cstring>
#include "kvm_vm.h"

namespace hl {

std::string KvmVm::start_sampling(uint32_t hz, uint32_t max_samples) {
  stop_sampling();
  {
    std::lock_guard<std::mutex> lock(sample_mu_);
    samples_ = Samples{};
    max_samples_ = max_samples;
  }
  sampling_.store(true);
  auto period = std::chrono::nanoseconds(1000000000ull / (hz ? hz : 1));
  try {
    ticker_ = std::thread([this, period] {
      auto next = std::chrono::steady_clock::now() + period;
      std::unique_lock<std::mutex> lock(ticker_mu_);
      while (sampling_.load()) {
        // Woken at once by stop_sampling(), so stopping never waits a period.
        if (ticker_cv_.wait_until(lock, next, [this] { return !sampling_.load(); })) break;
        next += period;
        auto now = std::chrono::steady_clock::now();
        if (next < now) next = now + period;  // a late tick is not repeated
        sample_kick();
      }
    });
  } catch (const std::exception& e) {  // no thread (a pids limit): no profile, and say so
    sampling_.store(false);
    return std::string("cannot start the profiler's thread: ") + e.what();
  }
  return "";
}

KvmVm::Samples KvmVm::stop_sampling() {
  {
    std::lock_guard<std::mutex> lock(ticker_mu_);
    sampling_.store(false);
  }
  ticker_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  sample_wanted_.store(false);
  std::lock_guard<std::mutex> lock(sample_mu_);
  Samples out = std::move(samples_);
  samples_ = Samples{};
  return out;
}

bool KvmVm::take_sample() {
  if (!sample_wanted_.exchange(false)) return false;  // a cancel's kick, or a stray one
  kvm_regs r{};
  kvm_sregs s{};
  if (ioctl(vcpu_fd_, KVM_GET_REGS, &r) != 0 || ioctl(vcpu_fd_, KVM_GET_SREGS, &s) != 0) return true;
  std::lock_guard<std::mutex> lock(sample_mu_);
  Samples& out = samples_;
  if (out.starts.size() >= max_samples_ || out.frames.size() + kMaxSampleDepth + 1 > kMaxSampleFrames) {
    out.dropped++;
    return true;
  }
  try {
    out.starts.push_back(static_cast<uint32_t>(out.frames.size()));
    if ((s.cs.selector & 3) != 3) {  // not guest code (the host's exception stubs)
      out.frames.push_back(0);
      return true;
    }
    out.frames.push_back(r.rip);
    // The chain the guest keeps with -fno-omit-frame-pointer: [rbp] = the
    // caller's rbp, [rbp+8] = the return address. Hostile or half-built frames
    // end the walk: each frame must be aligned, inside guest memory and above
    // the last, and there are at most kMaxSampleDepth of them.
    uint64_t fp = r.rbp;
    for (int depth = 0; depth < kMaxSampleDepth; depth++) {
      if (fp & 7) break;
      const uint8_t* p = mem_->checked(fp, 16);
      if (!p) break;
      uint64_t next, ret;
      memcpy(&next, p, 8);
      memcpy(&ret, p + 8, 8);
      if (ret == 0) break;
      out.frames.push_back(ret);
      if (next <= fp) break;
      fp = next;
    }
  } catch (const std::bad_alloc&) {  // the host is out of memory: this sample is lost, not the process
    if (out.starts.size() > out.frames.size() || (!out.starts.empty() && out.starts.back() == out.frames.size()))
      out.starts.pop_back();
    out.dropped++;
  }
  return true;
}

}  // namespace hl
