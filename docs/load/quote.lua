-- wrk script: POST the API contract's example quote (Lishi 2023, 低保, paid on time).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{"policy":"lishi-2023","person":{"id_number":"14110219900101123X","categories":["minimum_living"],"certified_on":"2023-03-10","hukou_local":true},"tier":null,"add_ons":[],"paid_on":"2022-10-08"}]]

done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("errors: connect %d, read %d, write %d, status %d, timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
