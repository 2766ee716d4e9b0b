// A polymorphic hierarchy with the shapes of TensorRT 10's interface classes, to prove that Javelin's
// release path (call the deleting destructor found in the vtable, with `this`) is `delete obj`.
// The layouts mirror the declaration order of the real headers; the behaviour is recorded in counters.
#include <cstddef>
#include <new>

namespace {
int destructions = 0;  // destructor bodies of the implementation classes that ran
int deletions = 0;     // class-specific operator delete calls: reached only through a deleting destructor
int wrongCalls = 0;    // any other virtual function: would mean a wrong vtable slot
}

// Like nvinfer1::INoCopy: its only virtual function is a protected virtual destructor.
class INoCopyLike {
protected:
    INoCopyLike() = default;
    virtual ~INoCopyLike() = default;
    INoCopyLike(INoCopyLike const&) = delete;
    INoCopyLike& operator=(INoCopyLike const&) = delete;
};

// Like nvinfer1::IRuntime: public virtual destructor, inline non-virtual API over an impl pointer.
class IRuntimeLike : public INoCopyLike {
public:
    ~IRuntimeLike() noexcept override = default;
    int dlaCores() const noexcept { return mImpl == nullptr ? 0 : 1; }
protected:
    void* mImpl = nullptr;
};

// Like nvinfer1::IBuilderConfig: more virtual functions after the destructor.
class IConfigLike : public INoCopyLike {
public:
    ~IConfigLike() noexcept override = default;
    virtual void setAvgTimingIterations(int) noexcept { ++wrongCalls; }
    virtual int getAvgTimingIterations() const noexcept { ++wrongCalls; return 0; }
protected:
    void* mImpl = nullptr;
};

// Like nvonnxparser::IParser (TensorRT 10.x): no base, eight virtual functions, then the destructor.
class IParserLike {
public:
    virtual bool parse(void const*, size_t, char const*) noexcept = 0;
    virtual bool parseFromFile(char const*, int) noexcept = 0;
    virtual bool supportsModel(void const*, size_t, void*, char const*) noexcept = 0;
    virtual bool parseWithWeightDescriptors(void const*, size_t) noexcept = 0;
    virtual bool supportsOperator(char const*) const noexcept = 0;
    virtual int getNbErrors() const noexcept = 0;
    virtual void const* getError(int) const noexcept = 0;
    virtual void clearErrors() noexcept = 0;
    virtual ~IParserLike() noexcept = default;
    virtual int getFlags() const noexcept = 0;
};

// The implementations live in the "library", as TensorRT's do.
class RuntimeImpl final : public IRuntimeLike {
public:
    ~RuntimeImpl() noexcept override { ++destructions; }
    static void operator delete(void* p) noexcept { ++deletions; ::operator delete(p); }
private:
    char state[96] = {};
};

class ConfigImpl final : public IConfigLike {
public:
    ~ConfigImpl() noexcept override { ++destructions; }
    static void operator delete(void* p) noexcept { ++deletions; ::operator delete(p); }
private:
    long workspace = 0;
};

class ParserImpl final : public IParserLike {
public:
    bool parse(void const*, size_t, char const*) noexcept override { ++wrongCalls; return false; }
    bool parseFromFile(char const*, int) noexcept override { ++wrongCalls; return false; }
    bool supportsModel(void const*, size_t, void*, char const*) noexcept override { ++wrongCalls; return false; }
    bool parseWithWeightDescriptors(void const*, size_t) noexcept override { ++wrongCalls; return false; }
    bool supportsOperator(char const*) const noexcept override { ++wrongCalls; return false; }
    int getNbErrors() const noexcept override { ++wrongCalls; return 0; }
    void const* getError(int) const noexcept override { ++wrongCalls; return nullptr; }
    void clearErrors() noexcept override { ++wrongCalls; }
    ~ParserImpl() noexcept override { ++destructions; }
    int getFlags() const noexcept override { ++wrongCalls; return 0; }
    static void operator delete(void* p) noexcept { ++deletions; ::operator delete(p); }
private:
    char errors[128] = {};
};

extern "C" {
// Factories return the interface pointer, as createInferRuntime / createParser do.
IRuntimeLike* mirror_create_runtime() { return new RuntimeImpl(); }
IConfigLike* mirror_create_config() { return new ConfigImpl(); }
IParserLike* mirror_create_parser() { return new ParserImpl(); }
// The reference behaviour: what C++ user code does.
void mirror_cpp_delete_runtime(IRuntimeLike* p) { delete p; }
int mirror_destructions() { return destructions; }
int mirror_deletions() { return deletions; }
int mirror_wrong_calls() { return wrongCalls; }
void mirror_reset() { destructions = 0; deletions = 0; wrongCalls = 0; }
}
