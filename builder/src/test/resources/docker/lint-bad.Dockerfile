FROM ubuntu:24.04
RUN apt-get update
RUN apt-get install curl
cmd ["a"]
CMD ["b"]
