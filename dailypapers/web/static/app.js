// dailypapers: upvotes and comments without a page reload. Every form also works without this script.
(function () {
  "use strict";

  function post(form) {
    return fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "Accept": "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.error || ("request failed (" + response.status + ")")); }
        return data;
      });
    });
  }

  function showError(form, message) {
    var box = form.querySelector(".form-error");
    if (box) { box.textContent = message; box.hidden = false; } else { window.alert(message); }
  }

  function updateCount(delta) {
    var count = document.getElementById("comment-count");
    if (count && typeof delta === "number") { count.textContent = String(delta); }
  }

  // A new comment or a reply: `place` puts the server's rendering of it on the page.
  function postComment(form, place) {
    post(form).then(function (data) {
      place(data.html);
      form.querySelector("textarea").value = "";
      updateCount(data.numComments);
    }).catch(function (error) { showError(form, error.message); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.confirm) {  // without the script, the server asks on a page of its own
      event.preventDefault();
      if (!window.confirm(form.dataset.confirm)) { return; }
      var confirmed = document.createElement("input");
      confirmed.type = "hidden"; confirmed.name = "confirmed"; confirmed.value = "1";
      form.appendChild(confirmed);
      form.submit();
      return;
    }
    if (form.classList.contains("upvote-form")) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      post(form).then(function (data) {
        var input = form.querySelector("input[name=vote]");
        input.value = data.upvoted ? "0" : "1";
        button.classList.toggle("voted", data.upvoted);
        button.setAttribute("aria-pressed", data.upvoted ? "true" : "false");
        // The name starts with the count the button shows; aria-pressed carries the state.
        var counted = data.upvotes + (data.upvotes === 1 ? " upvote" : " upvotes");
        button.setAttribute("aria-label", button.getAttribute("aria-label").replace(/^\d+ upvotes?/, counted));
        form.querySelector("[data-count]").textContent = String(data.upvotes);
      }).catch(function (error) { showError(form, error.message); })
        .finally(function () { button.disabled = false; });
    } else if (form.id === "comment-form") {
      event.preventDefault();
      postComment(form, function (html) {
        document.getElementById("comments").insertAdjacentHTML("beforeend", html);
        var box = form.querySelector(".form-error"); if (box) { box.hidden = true; }
      });
    } else if (form.classList.contains("reply-form")) {
      event.preventDefault();
      postComment(form, function (html) {
        // After the parent and its existing replies (every following item that is deeper than the parent).
        var parent = form.closest(".comment");
        var depth = Number(parent.dataset.depth || 0);
        var last = parent;
        while (last.nextElementSibling && Number(last.nextElementSibling.dataset.depth || 0) > depth) {
          last = last.nextElementSibling;
        }
        last.insertAdjacentHTML("afterend", html);
        form.closest("details").open = false;
      });
    } else if (form.classList.contains("comment-edit-form")) {
      event.preventDefault();
      post(form).then(function (data) {
        var item = form.closest(".comment");
        item.querySelector(".comment-body").innerHTML = data.html;  // sanitised on the server
        form.closest("details").open = false;
      }).catch(function (error) { showError(form, error.message); });
    } else if (form.classList.contains("comment-delete-form")) {
      event.preventDefault();
      if (!window.confirm("Delete this comment?")) { return; }
      post(form).then(function (data) {
        form.closest(".comment").remove();
        updateCount(data.numComments);
      }).catch(function (error) { showError(form, error.message); });
    }
  });
})();
